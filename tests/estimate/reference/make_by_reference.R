# Reference values for pre-specified heterogeneity (`by=`, `lin=True` terms, several baselines).
#
# Run from the repository root:  Rscript tests/estimate/reference/make_by_reference.R
# Reads firms.csv (written by make_reference.R), adds columns with missing baselines, writes
#   het.csv            the data fitted here (rounded to 6 decimals; R refits what it wrote)
#   by_reference.csv   one row per (case, term): estimate, std_error, df, pvalue (17 digits),
#                      with the terms named as kaizen_eval names them
# Packages: estimatr (lm_robust, lm_lin, iv_robust), clubSandwich and AER (ivreg). Effects at a
# quantile (or level) of a moderator are the treatment coefficient of the model with the
# moderator centred there.
# With CR2, the joint tests of `extra["moderation"]` are rows "test:<treatment>:<moderator>"
# (after the coefficient rows, formatted on their own): clubSandwich::Wald_test(vcov = "CR2",
# test = "HTZ") on the same model fitted by lm / AER::ivreg (strata fixed effects as dummies);
# estimate is the F statistic, df its (fractional) denominator df, pvalue its upper tail,
# std_error empty. Each is one restriction (df1 = 1).
suppressPackageStartupMessages({
  library(estimatr)
  library(clubSandwich)
  library(AER)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
r6 <- function(x) round(x, 6)

set.seed(20261202)
het <- read.csv(file.path(here, "firms.csv"))
n <- nrow(het)
het$emp0 <- r6(rpois(n, 4) + 0.5 * het$y0)
het$y0b <- het$y0
het$y0b[sample(n, 25)] <- NA
het$emp0[sample(n, 18)] <- NA
write.csv(het, file.path(here, "het.csv"), row.names = FALSE)
het <- read.csv(file.path(here, "het.csv"))

rows <- list()
add_fit <- function(case, fit, map) {
  for (r in names(map)) {
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, term = map[[r]], estimate = fit$coefficients[[r]],
      std_error = fit$std.error[[r]], df = fit$df[[r]], pvalue = fit$p.value[[r]])
  }
}
tests <- list()
add_htz <- function(case, term, fit, constraints, cluster) {
  w <- Wald_test(fit, constraints = constraints, vcov = "CR2", cluster = cluster, test = "HTZ")
  stopifnot(w$df_num == 1)
  tests[[length(tests) + 1]] <<- data.frame(
    case = case, term = term, estimate = w$Fstat, std_error = NA, df = w$df_denom,
    pvalue = w$p_val)
}
centred <- function(v, at) v - at
q <- c(p25 = 0.25, p50 = 0.5, p75 = 0.75)
cl <- function(se) if (se %in% c("stata", "CR2")) het$village else NULL

# ---- continuous moderator: educ, with covariate age ------------------------------------------
for (se in c("HC1", "HC2", "stata", "CR2")) {
  for (fe in c(FALSE, TRUE)) {
    case <- paste("het", if (fe) "itt_cont_fe" else "itt_cont", se, sep = ":")
    fit_at <- function(at) {
      d <- transform(het, m = centred(educ, at), cl = village)
      if (fe) lm_robust(y ~ invited * m + age, data = d, fixed_effects = ~stratum,
                        clusters = if (se %in% c("stata", "CR2")) cl else NULL, se_type = se)
      else lm_robust(y ~ invited * m + age, data = d,
                     clusters = if (se %in% c("stata", "CR2")) cl else NULL, se_type = se)
    }
    add_fit(case, fit_at(mean(het$educ)), list(invited = "invited", "invited:m" = "invited:educ"))
    for (k in names(q)) {
      add_fit(case, fit_at(quantile(het$educ, q[[k]])), list(invited = sprintf("invited[educ=%s]", k)))
    }
    if (se == "CR2") {
      d <- transform(het, m = educ - mean(educ))
      m <- if (fe) lm(y ~ invited * m + age + factor(stratum), data = d)
           else lm(y ~ invited * m + age, data = d)
      add_htz(case, "test:invited:educ", m, constrain_zero("invited:m"), d$village)
    }
  }
}

# ---- two moderators: educ (continuous) and female (levels) ------------------------------------
for (se in c("HC2", "CR2")) {
  case <- paste("het", "itt_two", se, sep = ":")
  fit_at <- function(at_e, at_f) {
    d <- transform(het, m = educ - at_e, f = female - at_f, cl = village)
    lm_robust(y ~ invited * (m + f) + age, data = d,
              clusters = if (se == "CR2") cl else NULL, se_type = se)
  }
  me <- mean(het$educ); mf <- mean(het$female)
  add_fit(case, fit_at(me, mf),
          list(invited = "invited", "invited:m" = "invited:educ", "invited:f" = "invited:female=1"))
  for (k in names(q)) {
    add_fit(case, fit_at(quantile(het$educ, q[[k]]), mf), list(invited = sprintf("invited[educ=%s]", k)))
  }
  for (lev in 0:1) add_fit(case, fit_at(me, lev), list(invited = sprintf("invited[female=%d]", lev)))
  if (se == "CR2") {
    d <- transform(het, m = educ - me, f = female - mf)
    m <- lm(y ~ invited * (m + f) + age, data = d)
    add_htz(case, "test:invited:educ", m, constrain_zero("invited:m"), d$village)
    add_htz(case, "test:invited:female", m, constrain_zero("invited:f"), d$village)
  }
}

# ---- Lin (2013): the interaction terms -----------------------------------------------------------
for (se in c("HC2", "CR2")) {
  fit <- lm_lin(y ~ invited, covariates = ~ age + educ, data = het,
                clusters = if (se == "CR2") village else NULL, se_type = se)
  add_fit(paste("het", "itt_lin_terms", se, sep = ":"), fit,
          list(invited = "invited", "invited:age_c" = "invited:age", "invited:educ_c" = "invited:educ"))
}

# ---- several baselines, each with its missing dummy ------------------------------------------------
d <- het
for (b in c("y0b", "emp0")) {
  d[[paste0(b, "_missing")]] <- as.numeric(is.na(d[[b]]))
  d[[b]][is.na(d[[b]])] <- 0
}
for (se in c("HC1", "HC2", "CR2")) {
  fit <- lm_robust(y ~ invited + age + y0b + y0b_missing + emp0 + emp0_missing, data = d,
                   clusters = if (se == "CR2") village else NULL, se_type = se)
  add_fit(paste("het", "itt_baselines", se, sep = ":"), fit,
          list(invited = "invited", y0b = "y0b", y0b_missing = "y0b_missing", emp0 = "emp0",
               emp0_missing = "emp0_missing"))
}

# ---- LATE by a continuous and by a discrete moderator ---------------------------------------------
for (se in c("HC2", "CR2")) {
  case <- paste("het", "late_cont", se, sep = ":")
  fit_at <- function(at) {
    d <- transform(het, m = educ - at, cl = village)
    iv_robust(y ~ attended + attended:m + m + age | invited + invited:m + m + age, data = d,
              clusters = if (se == "CR2") cl else NULL, se_type = se)
  }
  add_fit(case, fit_at(mean(het$educ)), list(attended = "attended", "attended:m" = "attended:educ"))
  for (k in names(q)) {
    add_fit(case, fit_at(quantile(het$educ, q[[k]])), list(attended = sprintf("attended[educ=%s]", k)))
  }
  d <- transform(het, f1 = female, f0 = 1 - female)
  fit <- iv_robust(y ~ attended:f0 + attended:f1 + female + age |
                     invited:f0 + invited:f1 + female + age, data = d,
                   clusters = if (se == "CR2") village else NULL, se_type = se)
  add_fit(paste("het", "late_female", se, sep = ":"), fit,
          list("attended:f0" = "attended[female=0]", "attended:f1" = "attended[female=1]"))
  if (se == "CR2") {
    d <- transform(het, m = educ - mean(educ))
    m <- ivreg(y ~ attended + attended:m + m + age | invited + invited:m + m + age, data = d)
    add_htz(case, "test:attended:educ", m, constrain_zero("attended:m"), d$village)
    d <- transform(het, f1 = female, f0 = 1 - female)
    m <- ivreg(y ~ attended:f0 + attended:f1 + female + age |
                 invited:f0 + invited:f1 + female + age, data = d)
    add_htz(paste("het", "late_female", se, sep = ":"), "test:attended:female", m,
            constrain_equal(c("attended:f0", "attended:f1")), d$village)
  }
}

out <- do.call(rbind, rows)
htz <- do.call(rbind, tests)
htz_text <- format(htz, digits = 17)
htz_text$std_error <- ""
write.csv(rbind(format(out, digits = 17), htz_text), file.path(here, "by_reference.csv"),
          row.names = FALSE)
cat("wrote", nrow(out), "coefficient rows and", nrow(htz), "test rows\n")
