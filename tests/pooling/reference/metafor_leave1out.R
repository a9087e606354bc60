# Reference values for kaizen_eval.estimate.pooling.leave_one_site_out, computed with R metafor
# (Debian r-cran-metafor 3.8.1: leave1out on rma.uni fits).
#
# Run from the repository root:  Rscript tests/pooling/reference/metafor_leave1out.R
# Reads pool_data.csv (written by metafor_pool.R) and writes, next to this script,
#   metafor_leave1out.csv   one row per (dataset, method, test, omitted site): estimate, se,
#     ci.lb, ci.ub, pval, tau2, I2 with 17 significant digits, for DL, REML, FE with z and knha.
# Prediction intervals are not in leave1out's output; the test checks them through
# pool_sites on the reduced data (already checked against metafor::predict).
suppressPackageStartupMessages(library(metafor))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data <- read.csv(file.path(here, "pool_data.csv"), stringsAsFactors = FALSE)
ctrl <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)

rows <- list()
for (n in c("eight_schools", "bcg", "bcg5")) {
  d <- data[data$dataset == n, ]
  for (method in c("FE", "DL", "REML")) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      fit <- rma(yi, vi, data = d, method = method, test = test, control = ctrl)
      l1 <- leave1out(fit, control = ctrl)
      rows[[length(rows) + 1]] <- data.frame(
        dataset = n, method = method, test = test, omitted = d$site,
        estimate = format(l1$estimate, digits = 17), se = format(l1$se, digits = 17),
        ci_lb = format(l1$ci.lb, digits = 17), ci_ub = format(l1$ci.ub, digits = 17),
        pval = format(l1$pval, digits = 17), tau2 = format(l1$tau2, digits = 17),
        I2 = format(l1$I2, digits = 17)
      )
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path(here, "metafor_leave1out.csv"), row.names = FALSE, quote = FALSE)
cat("metafor", as.character(packageVersion("metafor")), ":", nrow(out), "rows\n")
