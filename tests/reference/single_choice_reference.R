#!/usr/bin/env Rscript
## single_choice_reference.R -- R reference values for the Rao-Scott test of a single-choice
## (categorical) answer by group, experts clustered in units (test_design.py).
## Run from tests/reference:  Rscript single_choice_reference.R
## Reads single_choice.csv (the bundled sample: expert, unit, answers to q4_covid and
## q1_state, border 0/1, macro_region); missing codes (9) are left out as the tool does.
## Writes extra_out/single_choice.csv. R 4.2.2, survey 4.1.1; 15 significant digits.
options(digits = 15, warn = 1)
suppressPackageStartupMessages(library(survey))
dir.create("extra_out", showWarnings = FALSE)
d <- read.csv("single_choice.csv", stringsAsFactors = FALSE)
rows <- list()
for (question in c("q4_covid", "q1_state")) {
  for (grouping in c("border", "macro_region")) {
    x <- d
    x$y <- factor(ifelse(x[[question]] == 9, NA, x[[question]]))
    x$g <- factor(x[[grouping]])
    des <- svydesign(ids = ~unit_id, probs = ~1, data = x)
    sub <- subset(des, !is.na(y))
    pearson <- suppressWarnings(chisq.test(table(x$y, x$g)))
    f <- tryCatch(svychisq(~y + g, sub, statistic = "F"), error = function(e) NULL)
    rows[[length(rows) + 1]] <- data.frame(
      question = question, grouping = grouping, n = sum(!is.na(x$y)),
      F = if (is.null(f)) NA else unname(f$statistic),
      ndf = if (is.null(f)) NA else unname(f$parameter["ndf"]),
      ddf = if (is.null(f)) NA else unname(f$parameter["ddf"]),
      p = if (is.null(f)) NA else f$p.value,
      pearson_X2 = unname(pearson$statistic),
      note = if (is.null(f)) "singular design-effect matrix (empty cells)" else ""
    )
  }
}
write.csv(do.call(rbind, rows), file.path("extra_out", "single_choice.csv"), row.names = FALSE)
