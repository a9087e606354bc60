# Reference values for tests/scores/test_standardize.py: Kling-Liebman-Katz (2007) and
# Anderson (2008) indices written from their definitions in base R, independently of the Python
# code. Run from this directory:  Rscript indices.R   (writes indices.json)
library(jsonlite)
d <- read.csv("indices_data.csv", stringsAsFactors = FALSE)
comp <- c("y1", "y2", "y3")
y <- as.matrix(d[, comp])
y[, "y3"] <- -y[, "y3"]                       # sign flip: higher y3 is worse
ref <- d$treat == 0 & d$wave == "baseline"   # controls at baseline
mu <- apply(y[ref, ], 2, mean, na.rm = TRUE)
s <- apply(y[ref, ], 2, sd, na.rm = TRUE)    # n - 1
z <- sweep(sweep(y, 2, mu), 2, s, "/")
restd <- function(raw) (raw - mean(raw[ref], na.rm = TRUE)) / sd(raw[ref], na.rm = TRUE)

# Kling, missing = "available": mean of the available z-scores
raw_av <- apply(z, 1, function(r) if (all(is.na(r))) NA else mean(r, na.rm = TRUE))

# Kling, missing = "group_mean": impute at the mean z of the (control/treated x wave) group,
# among firms with at least one component
grp <- paste(d$treat, d$wave)
has <- rowSums(!is.na(z)) > 0
zi <- z
for (g in unique(grp)) {
  rows <- grp == g & has
  gm <- colMeans(z[rows, , drop = FALSE], na.rm = TRUE)
  for (k in seq_along(comp)) zi[rows & is.na(z[, k]), k] <- gm[k]
}
raw_gm <- ifelse(has, rowMeans(zi), NA)

# Anderson: weights = row sums of the inverse covariance (reference firms, pairwise complete)
sig <- cov(z[ref, ], use = "pairwise.complete.obs")
w <- rowSums(solve(sig))
raw_icw <- apply(z, 1, function(r) {
  ok <- !is.na(r)
  if (!any(ok)) NA else sum(w[ok] * r[ok]) / sum(w[ok])
})

out <- list(
  mean = unname(mu), sd = unname(s), icw_weights = unname(w / sum(w)),
  kling_available = restd(raw_av), kling_available_raw = raw_av,
  kling_group_mean = restd(raw_gm), icw = restd(raw_icw), icw_raw = raw_icw,
  r_version = R.version.string
)
write(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE), "indices.json")
