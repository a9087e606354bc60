# Reference values for kaizen_eval.estimate.weakiv (Anderson-Rubin with several instruments and
# with two endogenous treatments), computed independently with lm + sandwich + car.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_ar_reference.R
# Reads firms.csv (written by make_reference.R) and writes ar_reference.csv next to this script:
#   one row per (case, quantity): the AR F statistic (W / k, from car::linearHypothesis with the
#   given covariance) at fixed values of beta, and the ends of the 95% AR set (one treatment),
#   found by uniroot on F(b) - qf(0.95, k, df), with 17 significant digits.
# Regression: y - b1*attended [- b2*onsite_received] on the instruments, age and stratum dummies.
# Covariances: classical (vcov), HC1 (sandwich::vcovHC), CR1 (sandwich::vcovCL by village,
# type "HC1": Stata's G/(G-1) (N-1)/(N-K)). df of the F test: N - K, or G - 1 when clustered.
suppressPackageStartupMessages({
  library(sandwich)
  library(car)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
firms <- read.csv(file.path(here, "firms.csv"))
firms$inv_female <- firms$invited * firms$female

vc <- function(m, se) {
  switch(se,
    classical = vcov(m),
    HC1 = vcovHC(m, type = "HC1"),
    CR1 = vcovCL(m, cluster = ~village, type = "HC1")
  )
}
ar_f <- function(b, treat, inst, se) {
  dat <- firms
  dat$ytil <- dat$y - as.vector(as.matrix(dat[, treat, drop = FALSE]) %*% b)
  m <- lm(reformulate(c(inst, "age", "factor(stratum)"), "ytil"), data = dat)
  lh <- linearHypothesis(m, paste(inst, "= 0"), vcov. = vc(m, se), test = "F")
  list(f = lh$F[2], df = if (se == "CR1") length(unique(dat$village)) - 1 else m$df.residual)
}

rows <- list()
add <- function(case, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity,
                                           value = format(value, digits = 17))
}
one_inst <- c("invited", "inv_female")
for (se in c("classical", "HC1", "CR1")) {
  case <- paste0("one:", se)
  for (b in c(-1, 0, 1, 2.5, 5)) add(case, paste0("F@", b), ar_f(b, "attended", one_inst, se)$f)
  df <- ar_f(0, "attended", one_inst, se)$df
  add(case, "df", df)
  crit <- qf(0.95, 2, df)
  g <- function(b) ar_f(b, "attended", one_inst, se)$f - crit
  grid <- seq(-20, 20, by = 0.05)
  vals <- sapply(grid, g)
  cross <- which(diff(sign(vals)) != 0)
  stopifnot(length(cross) == 2, vals[1] > 0, vals[length(vals)] > 0)  # an interval
  ends <- sapply(cross, function(i) uniroot(g, grid[i + 0:1], tol = 1e-13)$root)
  add(case, "low", ends[1])
  add(case, "high", ends[2])
}
two_treat <- c("attended", "onsite_received")
two_inst <- c("invited", "onsite")
for (se in c("classical", "HC1", "CR1")) {
  case <- paste0("two:", se)
  for (b in list(c(0, 0), c(2, 1), c(-1, 3), c(4, -2))) {
    add(case, paste0("F@", b[1], ",", b[2]), ar_f(b, two_treat, two_inst, se)$f)
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(here, "ar_reference.csv"), row.names = FALSE, quote = TRUE)
