# Reference values for the exposure estimators (Aronow & Samii 2017), computed independently.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_exposure_reference.R
# Writes, beside this script:
#   exposure_data.csv       22 firms: firm_id, invited (the observed assignment), y, x1, x2
#   exposure_edges.csv      the undirected network (a ring with two chords): a, b
#   exposure_reference.csv  one row per (case, term): estimate, std_error (17 digits)
#
# Everything is computed here from first principles, without kaizen_eval's code:
#   * all choose(22, 8) = 319,770 equally likely assignments (complete randomization, 8 invited)
#     are enumerated; each firm's condition is 2 z_i + 1[a treated neighbour] (none, indirect,
#     direct, direct+indirect), so pi_i(k) and pi_ij(k, l) are exact;
#   * "HT" and "Hajek": the paper's estimators; "regression:interact" and "regression:common":
#     lm() with weights 1/pi_i(k_i) of y on the condition dummies and the covariates centred at
#     their mean (one slope per condition, or common slopes); the contrast of a condition with
#     "none" is the difference of the dummies' coefficients;
#   * variances: the conservative estimator of the paper (eqs. 7-9 and the covariance of two
#     conditions), written with explicit loops over pairs of firms, applied to y (HT) or to the
#     residuals of the weighted fit (Hajek and regression: linearization).
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

n <- 22
edges <- rbind(cbind(0:(n - 1), (1:n) %% n), c(0, 11), c(5, 16))
adj <- matrix(0, n, n)
adj[edges + 1] <- 1
adj[edges[, 2:1] + 1] <- 1
conds <- c("none", "indirect", "direct", "direct+indirect")

support <- combn(n, 8)
codes <- apply(support, 2, function(ch) {
  z <- numeric(n); z[ch] <- 1
  2 * z + as.numeric(adj %*% z > 0)
})  # n x R, values 0..3
R <- ncol(codes)
pi <- sapply(0:3, function(k) rowMeans(codes == k))            # n x 4
joint <- function(k, l) (1 * (codes == k)) %*% t(1 * (codes == l)) / R

# the observed assignment: the first (in combn order) with at least 4 firms in every condition
counts <- apply(codes, 2, function(c) min(tabulate(c + 1, 4)))

obs <- which(counts >= 4)[1]
z <- numeric(n); z[support[, obs]] <- 1
cond <- codes[, obs]

set.seed(20261203)
x1 <- round(rnorm(n, 5, 2), 3)
x2 <- round(runif(n, 0, 10), 3)
y <- round(10 + 2 * x1 - 0.5 * x2 + 1.5 * z + 0.8 * (cond %% 2) + rnorm(n, 0, 1) +
             0.3 * z * x1, 4)
dat <- data.frame(firm_id = sprintf("F%02d", 0:(n - 1)), invited = z, y = y, x1 = x1, x2 = x2)
write.csv(dat, file.path(here, "exposure_data.csv"), row.names = FALSE)
write.csv(data.frame(a = sprintf("F%02d", edges[, 1]), b = sprintf("F%02d", edges[, 2])),
          file.path(here, "exposure_edges.csv"), row.names = FALSE)

ind <- sapply(0:3, function(k) as.numeric(cond == k))           # n x 4

var_k <- function(v, k) {  # k in 0..3; v: the values (y or residuals)
  P <- joint(k, k); tot <- 0
  for (i in 1:n) {
    Ii <- ind[i, k + 1]; pik <- pi[i, k + 1]
    tot <- tot + Ii * (1 - pik) * (v[i] / pik)^2
    for (j in 1:n) if (j != i) {
      Ij <- ind[j, k + 1]; pjk <- pi[j, k + 1]
      if (P[i, j] > 0) {
        tot <- tot + Ii * Ij * (P[i, j] - pik * pjk) / P[i, j] * v[i] * v[j] / (pik * pjk)
      } else {
        tot <- tot + Ii * v[i]^2 / (2 * pik) + Ij * v[j]^2 / (2 * pjk)
      }
    }
  }
  tot / n^2
}
cov_kl <- function(v, k, l) {
  P <- joint(k, l); tot <- 0
  for (i in 1:n) for (j in 1:n) {
    Ii <- ind[i, k + 1]; Ij <- ind[j, l + 1]; pik <- pi[i, k + 1]; pjl <- pi[j, l + 1]
    if (P[i, j] > 0 && i != j) {
      tot <- tot + Ii * Ij * (P[i, j] - pik * pjl) / P[i, j] * v[i] * v[j] / (pik * pjl)
    } else if (P[i, j] == 0) {
      tot <- tot - (Ii * v[i]^2 / (2 * pik) + Ij * v[j]^2 / (2 * pjl))
    }
  }
  tot / n^2
}
contrast_var <- function(v, k) var_k(v, k) + var_k(v, 0) - 2 * cov_kl(v, k, 0)

rows <- list()
add <- function(case, est, v) {
  for (k in 1:3) rows[[length(rows) + 1]] <<- data.frame(
    case = case, term = paste(conds[k + 1], "vs none"), estimate = est[k + 1] - est[1],
    std_error = sqrt(contrast_var(v, k)))
}

ht <- colSums(ind * y / pi) / n
add("HT", ht, y)

w <- rowSums(ind / pi)
D <- factor(conds[cond + 1], levels = conds)
hajek <- coef(lm(y ~ 0 + D, weights = w))
add("Hajek", hajek, residuals(lm(y ~ 0 + D, weights = w)))

xc1 <- x1 - mean(x1); xc2 <- x2 - mean(x2)
fit_i <- lm(y ~ 0 + D + D:xc1 + D:xc2, weights = w)
add("regression:interact", coef(fit_i)[paste0("D", conds)], residuals(fit_i))
fit_c <- lm(y ~ 0 + D + xc1 + xc2, weights = w)
add("regression:common", coef(fit_c)[paste0("D", conds)], residuals(fit_c))

out <- do.call(rbind, rows)
write.csv(format(out, digits = 17), file.path(here, "exposure_reference.csv"), row.names = FALSE)
cat("observed assignment", obs, "of", R, "; firms per condition:", tabulate(cond + 1, 4), "\n")
print(out)
