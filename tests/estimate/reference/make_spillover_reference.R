# Reference values for kaizen_eval.estimate.spillover (randomized saturation designs, Baird et al.
# 2018), computed independently with estimatr::lm_robust (CR2) and clubSandwich.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_spillover_reference.R
# Writes next to this script:
#   spillover_data.csv       the data (simulated here: 36 clusters of 6-14 firms, saturations
#                            0, 0.25, 0.5, 0.75, 1 with shares 8, 7, 7, 7, 7 clusters, a stratum
#                            constant within clusters, a covariate x)
#   spillover_reference.csv  one row per (case, term, quantity) with 17 significant digits:
#     estimate, std_error, df          lm_robust(se_type = "CR2", clusters = cluster_id)
#     total:<s> estimate/std_error/df  clubSandwich::linear_contrast(vcov = "CR2",
#                                      test = "Satterthwaite") of s*direct:s + (1-s)*spillover:s
#     linear:<kind> F/df1/df2/p        clubSandwich::Wald_test(vcov = "CR2", test = "HTZ") of the
#                                      second differences of the effects in the saturation
# Cases: "plain" (no covariates), "cov" (covariate x), "fe" (x and stratum fixed effects,
# absorbed by lm_robust(fixed_effects = ~stratum); totals and tests with stratum dummies in lm).
suppressPackageStartupMessages({
  library(estimatr)
  library(clubSandwich)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

set.seed(20180517)
n_cl <- 36
sizes <- sample(6:14, n_cl, replace = TRUE)
levels <- c(0, 0.25, 0.5, 0.75, 1)
sat_cl <- sample(rep(levels, c(8, 7, 7, 7, 7)))
stratum_cl <- rep(c("north", "south"), length.out = n_cl)
u <- rnorm(n_cl, sd = 0.5)
rows <- list()
for (c in seq_len(n_cl)) {
  m <- sizes[c]
  k <- floor(m * sat_cl[c] + runif(1))
  if (sat_cl[c] > 0 && sat_cl[c] < 1) k <- min(max(k, 1), m - 1)
  t <- sample(c(rep(1, k), rep(0, m - k)))
  rows[[c]] <- data.frame(cluster_id = c, saturation = sat_cl[c], invited = t,
                          stratum = stratum_cl[c])
}
d <- do.call(rbind, rows)
d$firm_id <- seq_len(nrow(d))
d$x <- rnorm(nrow(d))
d$y <- 1 + 0.8 * d$invited + 0.4 * (1 - d$invited) * d$saturation + 0.5 * d$x +
  u[d$cluster_id] + (d$stratum == "south") * 0.3 + rnorm(nrow(d))
write.csv(d[, c("firm_id", "cluster_id", "stratum", "saturation", "invited", "x", "y")],
          file.path(here, "spillover_data.csv"), row.names = FALSE)

d$direct <- d$invited
d$spillover <- (1 - d$invited) * (d$saturation > 0)
inner <- levels[levels > 0]
cell <- character(0)
for (s in inner) {
  dn <- paste0("direct_", s); sn <- paste0("spillover_", s)
  d[[dn]] <- d$invited * (d$saturation == s)
  d[[sn]] <- (1 - d$invited) * (d$saturation == s)
  cell <- c(cell, dn, if (s < 1) sn)
}
name_of <- function(v) sub("_", ":", v)

out <- list()
add <- function(case, term, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, term = term, quantity = quantity,
                                         value = format(value, digits = 17))
}
cases <- list(plain = character(0), cov = "x", fe = "x")
for (case in names(cases)) {
  covs <- cases[[case]]
  fe <- if (case == "fe") ~stratum else NULL
  for (rhs in list(c("direct", "spillover"), cell)) {
    fml <- reformulate(c(rhs, covs), "y")
    m <- if (is.null(fe)) {
      lm_robust(fml, data = d, clusters = cluster_id, se_type = "CR2")
    } else {
      lm_robust(fml, data = d, clusters = cluster_id, se_type = "CR2", fixed_effects = ~stratum)
    }
    for (v in rhs) {
      add(case, name_of(v), "estimate", coef(m)[[v]])
      add(case, name_of(v), "std_error", m$std.error[[v]])
      add(case, name_of(v), "df", m$df[[v]])
    }
  }
  lm_covs <- if (case == "fe") c(covs, "factor(stratum)") else covs
  m <- lm(reformulate(c(cell, lm_covs), "y"), data = d)
  p <- length(coef(m))
  pos <- function(v) which(names(coef(m)) == v)
  for (s in inner) {
    cvec <- rep(0, p)
    cvec[pos(paste0("direct_", s))] <- s
    if (s < 1) cvec[pos(paste0("spillover_", s))] <- 1 - s
    lc <- linear_contrast(m, vcov = "CR2", cluster = d$cluster_id,
                          contrasts = matrix(cvec, nrow = 1), test = "Satterthwaite")
    add(case, paste0("total:", s), "estimate", lc$Est)
    add(case, paste0("total:", s), "std_error", lc$SE)
    add(case, paste0("total:", s), "df", lc$df)
  }
  for (kind in c("direct", "spillover")) {
    terms <- paste0(kind, "_", if (kind == "direct") inner else inner[inner < 1])
    s <- as.numeric(sub(".*_", "", terms))
    rmat <- matrix(0, length(terms) - 2, p)
    for (j in 2:(length(terms) - 1)) {
      left <- s[j] - s[j - 1]; right <- s[j + 1] - s[j]
      rmat[j - 1, pos(terms[j - 1])] <- -right
      rmat[j - 1, pos(terms[j])] <- right + left
      rmat[j - 1, pos(terms[j + 1])] <- -left
    }
    w <- Wald_test(m, constraints = rmat, vcov = "CR2", cluster = d$cluster_id, test = "HTZ")
    add(case, paste0("linear:", kind), "F", w$Fstat)
    add(case, paste0("linear:", kind), "df1", w$df_num)
    add(case, paste0("linear:", kind), "df2", w$df_denom)
    add(case, paste0("linear:", kind), "p", w$p_val)
  }
}
write.csv(do.call(rbind, out), file.path(here, "spillover_reference.csv"), row.names = FALSE)
