# Reference values for ke.quantile_effects: quantreg::rq(y ~ invited, tau) on firms.csv.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_quantile_reference.R
# For a binary regressor the rq coefficient on `invited` is the difference of the arms'
# sample quantiles (inverse empirical distribution). The quantiles are chosen so that
# n_arm * tau is never an integer (where the rq solution would not be unique).
suppressPackageStartupMessages(library(quantreg))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
firms <- read.csv(file.path(here, "firms.csv"))
taus <- c(0.13, 0.37, 0.51, 0.77, 0.91)
rows <- list()
for (tau in taus) {
  fit <- rq(y ~ invited, tau = tau, data = firms)
  rows[[length(rows) + 1]] <- data.frame(
    quantile = tau, estimate = coef(fit)[["invited"]], control = coef(fit)[["(Intercept)"]])
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 17), file.path(here, "quantile_reference.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
