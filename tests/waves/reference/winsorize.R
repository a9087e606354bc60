# Reference values for kaizen_eval.winsorize / trim (tests/waves/test_money.py).
# Quantile bounds within each arm with R's type 7 (numpy "linear") and type 2 (numpy
# "averaged_inverted_cdf", Stata's _pctile), then the winsorized and trimmed values.
# Shares 0.25/0.75 with 12 firms per arm hit type 2's averaging case (n * p is a whole number).
# Run from this folder: Rscript winsorize.R  (writes winsorize_reference.csv)
x <- c(12.5, 3.1, 47.9, 8.8, 150.2, 9.4, 0.7, 22.0, 15.3, 6.6,
       5.2, 88.1, 13.0, 2.4, 19.9, 31.7, 7.7, 11.1, 260.5, 4.9,
       16.4, 1.8, 9.9, 27.3)
arm <- rep(c(0, 1), times = 12)
rows <- list()
for (shares in list(c(0.1, 0.9), c(0.25, 0.75))) {
  for (type in c(7, 2)) {
    lo <- hi <- numeric(length(x))
    for (a in unique(arm)) {
      i <- arm == a
      q <- quantile(x[i], shares, type = type, names = FALSE)
      lo[i] <- q[1]
      hi[i] <- q[2]
    }
    rows[[length(rows) + 1]] <- data.frame(
      q_lower = shares[1], q_upper = shares[2], type = type,
      row = seq_along(x) - 1, arm = arm, x = x, lower = lo, upper = hi,
      winsorized = pmin(pmax(x, lo), hi),
      trimmed = ifelse(x < lo | x > hi, NA, x)
    )
  }
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 17, trim = TRUE), "winsorize_reference.csv",
          row.names = FALSE, quote = FALSE)
