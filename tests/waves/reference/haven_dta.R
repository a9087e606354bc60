# What R's haven (Debian r-cran-haven) reads from panel_baseline.dta, written by
# kaizen_eval.write_wave (tests/waves/reference/write_dta.py): each variable's label, its value
# labels and its values, for tests/waves/test_write_wave.py.
# Run from this folder: Rscript haven_dta.R  (writes haven_dta_reference.csv)
library(haven)
d <- read_dta("panel_baseline.dta")
rows <- lapply(names(d), function(v) {
  x <- d[[v]]
  lab <- attr(x, "label")
  vl <- attr(x, "labels")
  values <- if (inherits(x, "Date") || inherits(x, "POSIXct")) format(x, "%Y-%m-%d") else if (is.character(x)) x else
    format(unclass(x), digits = 17, trim = TRUE, scientific = FALSE)
  values[is.na(x)] <- "NA"
  data.frame(
    variable = v,
    label = if (is.null(lab)) "" else lab,
    value_labels = if (is.null(vl)) "" else paste(paste0(unname(vl), "=", names(vl)), collapse = ";"),
    values = paste(values, collapse = "|")
  )
})
write.csv(do.call(rbind, rows), "haven_dta_reference.csv", row.names = FALSE)
