# Reference estimates of the replication tables (replication/sites/replicate_site.py), by estimatr.
#
# Run from the repository root, after writing the frames with Python:
#   python tests/replication/reference/write_frames.py
#   Rscript tests/replication/reference/site_tables.R
# Output: tests/replication/reference/site_tables.json, read by tests/replication/test_reference_r.py.
#
# Specification of each cell: outcome at the last wave on the assignment(s) (ITT, OLS) or on the
# take-up(s) instrumented by the assignment(s) (2SLS), the baseline value of the outcome as a
# control for value added and the management score (no firm has a missing baseline, so
# McKenzie's missing dummy is not needed; survival, `operating`, has no baseline), strata fixed
# effects, HC1 standard errors; firms without the outcome are left out.
suppressPackageStartupMessages({
  library(estimatr)
  library(jsonlite)
})

dir <- file.path("tests", "replication", "reference")
all_outcomes <- c("value_added", "score_overall", "operating")
factorial <- list(z = c("invited", "onsite"), d = c("attended", "onsite_received"),
                  y = all_outcomes)
# survey 2 (before on-site training): the classroom arm only, value added and the score
survey2 <- list(z = "invited", d = "attended", y = c("value_added", "score_overall"))
sites <- list(
  ghana = list(z = "invited", d = "attended", y = all_outcomes),
  tanzania = factorial,
  vietnam = factorial,
  ethiopia = factorial,
  vietnam_survey2 = survey2,
  ethiopia_survey2 = survey2
)

cell <- function(fit, terms) {
  list(
    terms = terms,
    estimate = unname(coef(fit)[terms]),
    std_error = unname(fit$std.error[terms]),
    df = unname(fit$df[terms[1]]),
    nobs = fit$nobs
  )
}

out <- list()
for (site in names(sites)) {
  s <- sites[[site]]
  df <- read.csv(file.path(dir, "frames", paste0(site, ".csv")), stringsAsFactors = FALSE)
  df$stratum <- factor(df$stratum)
  for (y in s$y) {
    bl <- if (y == "operating") character(0) else paste0(y, "_baseline")
    if (length(bl) && any(is.na(df[[bl]]))) stop(site, ": missing baseline ", bl, "; add the dummy")
    d <- df[!is.na(df[[y]]), ]
    f_itt <- as.formula(paste(y, "~", paste(c(s$z, bl), collapse = " + ")))
    f_iv <- as.formula(paste(
      y, "~", paste(c(s$d, bl), collapse = " + "), "|", paste(c(s$z, bl), collapse = " + ")
    ))
    itt <- lm_robust(f_itt, data = d, fixed_effects = ~stratum, se_type = "HC1")
    iv <- iv_robust(f_iv, data = d, fixed_effects = ~stratum, se_type = "HC1")
    out[[site]][[paste0("itt:", y)]] <- cell(itt, s$z)
    out[[site]][[paste0("iv:", y)]] <- cell(iv, s$d)
  }
}
out[["_provenance"]] <- list(
  R = R.version.string,
  estimatr = as.character(packageVersion("estimatr"))
)
write_json(out, file.path(dir, "site_tables.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
