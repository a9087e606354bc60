# Reference numbers for kaizen_eval.design.balance (tests/design/test_balance.py).
# Run from this directory: Rscript balance.R  (writes balance_data.csv and balance.json)
#
# Per-covariate differences: estimatr::lm_robust(covariate ~ arms, fixed_effects = ~stratum)
# on the rows where the covariate is observed; joint test: lm_robust(arm ~ covariates,
# fixed_effects = ~stratum) on complete cases of that arm and control, with its robust
# F statistic (fit$fstatistic). Normalized difference: (m1 - m0) / sqrt((s1^2 + s0^2) / 2).
suppressPackageStartupMessages({library(estimatr); library(jsonlite)})

set.seed(20131)
n <- 240
stratum <- rep(c("s1", "s2", "s3", "s4"), each = 60)
cluster <- sprintf("c%02d", rep(1:60, each = 4))
arm <- unlist(lapply(1:4, function(s) sample(rep(0:2, 20))))          # 0 control, 1, 2
cl_arm <- unlist(lapply(1:4, function(s) rep(sample(rep(0:1, length.out = 15)), each = 4)))
d <- data.frame(
  firm_id = sprintf("F%03d", 1:n), stratum = stratum, cluster = cluster,
  invited = as.integer(arm > 0), classroom = as.integer(arm == 1), onsite = as.integer(arm == 2),
  invited_cl = cl_arm,
  female = rbinom(n, 1, 0.4),
  educ_years = round(rnorm(n, 9 + 0.5 * (stratum == "s2"), 3), 2),
  employees = rpois(n, 6 + 2 * (stratum == "s4")),
  firm_age = round(rgamma(n, 3, 0.3), 3)
)
d$educ_years[sample(n, 12)] <- NA
d$employees[sample(n, 5)] <- NA
write.csv(d, "balance_data.csv", row.names = FALSE, na = "")

covs <- c("female", "educ_years", "employees", "firm_age")

per_cov <- function(arms, se_type, strata, clusters = NULL) {
  out <- list()
  for (v in covs) {
    dd <- d[!is.na(d[[v]]), ]
    f <- as.formula(paste(v, "~", paste(arms, collapse = " + ")))
    args <- list(formula = f, data = dd, se_type = se_type)
    if (strata) args$fixed_effects <- ~stratum
    if (!is.null(clusters)) args$clusters <- dd[[clusters]]
    fit <- do.call(lm_robust, args)
    ctrl <- dd[rowSums(dd[arms]) == 0, v]
    for (a in arms) {
      tr <- dd[dd[[a]] == 1, v]
      out[[length(out) + 1]] <- list(
        covariate = v, arm = a, n = nrow(dd), n_missing = sum(is.na(d[[v]])),
        mean_control = mean(ctrl), mean_arm = mean(tr), sd_control = sd(ctrl), sd_arm = sd(tr),
        difference = unname(fit$coefficients[a]), std_error = unname(fit$std.error[a]),
        pvalue = unname(fit$p.value[a]), df = unname(fit$df[a]),
        norm_diff = (mean(tr) - mean(ctrl)) / sqrt((sd(tr)^2 + sd(ctrl)^2) / 2))
    }
  }
  out
}

joint <- function(arms, se_type, strata, clusters = NULL) {
  out <- list()
  for (a in arms) {
    dd <- d[rowSums(d[arms]) == 0 | d[[a]] == 1, ]
    n_sample <- nrow(dd)
    dd <- dd[complete.cases(dd[covs]), ]
    f <- as.formula(paste(a, "~", paste(covs, collapse = " + ")))
    args <- list(formula = f, data = dd, se_type = se_type)
    if (strata) args$fixed_effects <- ~stratum
    if (!is.null(clusters)) args$clusters <- dd[[clusters]]
    fit <- do.call(lm_robust, args)
    # Wald F from the robust covariance: estimatr gives no fstatistic with fixed_effects.
    # df2 = N - K (K includes the absorbed strata) or G - 1 with clusters, as estimatr's own
    # fstatistic does without fixed effects (checked below: estimatr_fstat).
    b <- fit$coefficients[covs]
    V <- vcov(fit)[covs, covs]
    q <- length(covs)
    fstat <- as.numeric(t(b) %*% solve(V, b)) / q
    df2 <- if (is.null(clusters)) fit$df.residual else length(unique(dd[[clusters]])) - 1
    est_f <- if (is.null(fit$fstatistic)) NULL else unname(fit$fstatistic)
    out[[a]] <- list(fstat = fstat, df1 = q, df2 = df2,
                     pvalue = pf(fstat, q, df2, lower.tail = FALSE),
                     nobs = nrow(dd), n_dropped = n_sample - nrow(dd),
                     estimatr_fstat = est_f)
  }
  out
}

case <- function(arms, se_type, strata, clusters = NULL) {
  list(treatment = arms, se = se_type, strata = strata, cluster = clusters,
       table = per_cov(arms, se_type, strata, clusters),
       joint = joint(arms, se_type, strata, clusters))
}

cases <- list(
  hc2_strata = case("invited", "HC2", TRUE),
  hc2_nostrata = case("invited", "HC2", FALSE),
  hc1_strata = case("invited", "HC1", TRUE),
  classical_nostrata = case("invited", "classical", FALSE),
  two_arms_hc2_strata = case(c("classroom", "onsite"), "HC2", TRUE),
  cr2_strata = case("invited_cl", "CR2", TRUE, "cluster"),
  cr1_stata_strata = case("invited_cl", "stata", TRUE, "cluster")
)
out <- list(generated_by = "tests/design/reference/balance.R", r_version = R.version.string,
            estimatr_version = as.character(packageVersion("estimatr")), cases = cases)
writeLines(toJSON(out, digits = NA, pretty = TRUE, auto_unbox = TRUE, null = "null"),
           "balance.json")
