# Reference values for Lin (2013) within the levels of a discrete moderator (`itt(lin=True, by=)`).
#
# Run from the repository root:  Rscript tests/estimate/reference/make_lin_by_reference.R
# Reads het.csv (written by make_by_reference.R); writes lin_by_reference.csv: one row per
# (case, term): estimate, std_error, df, pvalue (17 digits), terms named as kaizen_eval names them.
#
# Two independent routes:
#   * "subset" cases: estimatr::lm_lin run separately in each level (estimates and HC2 standard
#     errors equal those of the pooled, fully interacted model; degrees of freedom differ, so
#     only estimate and std_error are compared);
#   * "pooled" cases: estimatr::lm_robust on the fully interacted model written out by hand
#     (level dummies, a covariate slope per level, each level's treatment, and its interaction
#     with the covariates centred at that level's mean), with HC1, HC2, CR2 and strata fixed
#     effects; all four columns are compared.
suppressPackageStartupMessages(library(estimatr))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
het <- read.csv(file.path(here, "het.csv"))
covs <- c("age", "educ")

rows <- list()
add <- function(case, fit, map) {
  for (r in names(map)) {
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, term = map[[r]], estimate = fit$coefficients[[r]],
      std_error = fit$std.error[[r]], df = fit$df[[r]], pvalue = fit$p.value[[r]])
  }
}

# ---- subsets: lm_lin in each level of female ----------------------------------------------------
for (lev in 0:1) {
  fit <- lm_lin(invited_y ~ invited, covariates = ~ age + educ,
                data = transform(het[het$female == lev, ], invited_y = y), se_type = "HC2")
  add("subset:female:HC2", fit, setNames(
    list(sprintf("invited[female=%d]", lev), sprintf("invited[female=%d]:age", lev),
         sprintf("invited[female=%d]:educ", lev)),
    c("invited", "invited:age_c", "invited:educ_c")))
}

# ---- pooled, written out by hand ------------------------------------------------------------------
pooled <- function(d, by, fe, se, cluster) {
  levs <- sort(unique(d[[by]]))
  rhs <- character(0)
  map <- list()
  for (k in seq_along(levs)) {
    inside <- d[[by]] == levs[k]
    dn <- sprintf("D_%d", k)
    d[[dn]] <- d$invited * inside
    rhs <- c(rhs, dn)
    map[[dn]] <- sprintf("invited[%s=%s]", by, levs[k])
    if (k > 1 && !fe) {
      d[[sprintf("G_%d", k)]] <- as.numeric(inside)
      rhs <- c(rhs, sprintf("G_%d", k))
    }
    for (v in covs) {
      if (k > 1) {
        d[[sprintf("S_%s_%d", v, k)]] <- d[[v]] * inside
        rhs <- c(rhs, sprintf("S_%s_%d", v, k))
      }
      xn <- sprintf("X_%s_%d", v, k)
      d[[xn]] <- d[[dn]] * (d[[v]] - mean(d[[v]][inside]))
      rhs <- c(rhs, xn)
      map[[xn]] <- sprintf("invited[%s=%s]:%s", by, levs[k], v)
    }
  }
  f <- as.formula(paste("y ~", paste(c(covs, rhs), collapse = " + ")))
  cl <- if (cluster) d$village else NULL
  fit <- if (fe) lm_robust(f, data = d, fixed_effects = ~stratum, clusters = cl, se_type = se)
         else lm_robust(f, data = d, clusters = cl, se_type = se)
  list(fit = fit, map = map)
}
for (spec in list(list("female", FALSE, "HC1", FALSE), list("female", FALSE, "HC2", FALSE),
                  list("female", FALSE, "CR2", TRUE), list("stratum", TRUE, "CR2", TRUE),
                  list("stratum", TRUE, "HC1", FALSE))) {
  out <- pooled(het, spec[[1]], spec[[2]], spec[[3]], spec[[4]])
  case <- paste("pooled", spec[[1]], if (spec[[2]]) "fe" else "nofe", spec[[3]], sep = ":")
  add(case, out$fit, out$map)
}

res <- do.call(rbind, rows)
for (col in c("estimate", "std_error", "df", "pvalue")) res[[col]] <- sprintf("%.17g", res[[col]])
write.csv(res, file.path(here, "lin_by_reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "rows\n")
