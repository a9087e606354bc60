# CR2 in ke.heterogeneity: one fixed split's main half (written by the test data script:
# y, d, cluster v, the learner's B and S, the GATES group), and the paper's weighted BLP and
# GATES regressions by estimatr::lm_robust(se_type = "CR2"), weights 1 / (p (1 - p)), p = 0.5.
# Run from this folder: Rscript make_het_cr2_reference.R
suppressMessages(library(estimatr))
d <- read.csv("het_cr2_split.csv")
p <- 0.5
d$e <- d$d - p
d$es <- d$e * (d$s - mean(d$s))
d$w <- 1 / (p * (1 - p))
for (g in 1:3) d[[paste0("g", g)]] <- d$e * (d$group == g)
blp <- lm_robust(y ~ b + e + es, data = d, weights = w, clusters = v, se_type = "CR2")
gates <- lm_robust(y ~ b + g1 + g2 + g3, data = d, weights = w, clusters = v, se_type = "CR2")
out <- data.frame(
  regression = c("blp", "blp", "gates", "gates", "gates"),
  term = c("ate", "heterogeneity", "1", "2", "3"),
  estimate = c(coef(blp)[c("e", "es")], coef(gates)[c("g1", "g2", "g3")]),
  std_error = c(blp$std.error[c("e", "es")], gates$std.error[c("g1", "g2", "g3")]),
  df = c(blp$df[c("e", "es")], gates$df[c("g1", "g2", "g3")])
)
write.csv(out, "het_cr2_reference.csv", row.names = FALSE)
print(out, digits = 17)
