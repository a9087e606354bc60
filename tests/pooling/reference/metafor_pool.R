# Reference values for kaizen_eval.estimate.pooling (ke.pool_sites, frequentist methods),
# computed with R metafor (Debian r-cran-metafor 3.8.1: rma.uni, predict, blup, weights).
#
# Run from the repository root:  Rscript tests/pooling/reference/metafor_pool.R
# Writes, next to this script:
#   pool_data.csv       the site data: dataset, site, yi, vi
#     eight_schools  Rubin's SAT coaching experiments (BDA3 Table 5.2), vi = sigma^2
#     bcg            metafor's dat.bcg as log risk ratios (escalc(measure = "RR"))
#     bcg5           its first five trials (few sites, tau2 > 0)
#   metafor_pool.csv    one row per (dataset, method, test, quantity): value with 17
#     significant digits. Quantities: mu, se, ci_lb, ci_ub, pval, tau2, I2, QE, QEp,
#     pi_lb, pi_ub, and per site weight:<site> (percent), blup:<site>, blup_se:<site>.
# Convergence thresholds are tightened far below metafor's defaults (threshold 1e-5 for the
# Fisher scoring of ML/REML, uniroot tol ~1e-4 for PM) so that the numbers are the exact
# estimators' values, not one iteration's.
suppressPackageStartupMessages(library(metafor))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

schools <- data.frame(
  site = LETTERS[1:8],
  yi = c(28, 8, -3, 7, -1, 1, 18, 12),
  vi = c(15, 10, 16, 11, 9, 11, 10, 18)^2
)
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg <- data.frame(site = paste0("trial", bcg$trial), yi = as.numeric(bcg$yi),
                  vi = as.numeric(bcg$vi))
sets <- list(eight_schools = schools, bcg = bcg, bcg5 = bcg[1:5, ])

data_rows <- do.call(rbind, lapply(names(sets), function(n) {
  d <- sets[[n]]
  data.frame(dataset = n, site = d$site, yi = format(d$yi, digits = 17),
             vi = format(d$vi, digits = 17))
}))
write.csv(data_rows, file.path(here, "pool_data.csv"), row.names = FALSE, quote = FALSE)

ctrl <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)
rows <- list()
add <- function(dataset, method, test, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, method = method, test = test, quantity = quantity,
    value = format(value, digits = 17)
  )
}
for (n in names(sets)) {
  d <- sets[[n]]
  for (method in c("FE", "DL", "PM", "ML", "REML")) {
    for (test in c("z", "knha")) {
      # FE with knha: metafor warns that it is not meant for FE models; computed all the same.
      fit <- suppressWarnings(rma(yi, vi, data = d, method = method, test = test, control = ctrl))
      pr <- predict(fit)
      # For FE models predict() reports no prediction interval: with tau2 = 0 a new site's
      # interval is the confidence interval of mu, which is what kaizen_eval reports.
      if (is.null(pr$pi.lb)) pr$pi.lb <- pr$ci.lb
      if (is.null(pr$pi.ub)) pr$pi.ub <- pr$ci.ub
      vals <- c(mu = as.numeric(fit$b), se = fit$se, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub,
                pval = fit$pval, tau2 = fit$tau2, I2 = fit$I2, QE = fit$QE, QEp = fit$QEp,
                pi_lb = pr$pi.lb, pi_ub = pr$pi.ub)
      for (q in names(vals)) add(n, method, test, q, vals[[q]])
      w <- weights(fit)
      for (i in seq_along(d$site)) add(n, method, test, paste0("weight:", d$site[i]), w[i])
      b <- blup(fit)
      for (i in seq_along(d$site)) {
        add(n, method, test, paste0("blup:", d$site[i]), b$pred[i])
        add(n, method, test, paste0("blup_se:", d$site[i]), b$se[i])
      }
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(here, "metafor_pool.csv"), row.names = FALSE, quote = FALSE)
cat("metafor", as.character(packageVersion("metafor")), ":", nrow(out), "values\n")
