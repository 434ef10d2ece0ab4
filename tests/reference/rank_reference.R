#!/usr/bin/env Rscript
## rank_reference.R -- R reference values for the design-based rank test of a scale answer by
## group, experts clustered in units (survey::svyranktest, test = "wilcoxon": two groups give
## the design-based Wilcoxon t test, more groups the design-based Kruskal-Wallis F test).
## Run from tests/reference:  Rscript rank_reference.R
## Reads single_choice.csv (the bundled sample's q1_state and q6_prospects; 9 = «затрудняюсь
## ответить» left out) and writes extra_out/rank_tests.csv. R 4.2.2, survey 4.1.1.
options(digits = 15, warn = 1)
suppressPackageStartupMessages(library(survey))
dir.create("extra_out", showWarnings = FALSE)
d <- read.csv("single_choice.csv", stringsAsFactors = FALSE)
rows <- list()
for (question in c("q1_state", "q6_prospects")) {
  for (grouping in c("border", "macro_region")) {
    x <- d
    x$y <- ifelse(x[[question]] == 9, NA, x[[question]])
    x$g <- factor(x[[grouping]])
    des <- svydesign(ids = ~unit_id, probs = ~1, data = x)
    r <- svyranktest(y ~ g, des, test = "wilcoxon")
    two <- nlevels(x$g) == 2
    rows[[length(rows) + 1]] <- data.frame(
      question = question, grouping = grouping, n = sum(!is.na(x$y)),
      statistic = if (two) unname(r$statistic) else unname(r$parameter[1]),
      df1 = if (two) NA else unname(r$statistic),
      df2 = if (two) unname(r$parameter) else unname(r$ddf),
      p = r$p.value,
      estimate = if (two) unname(r$estimate) else NA
    )
  }
}
write.csv(do.call(rbind, rows), file.path("extra_out", "rank_tests.csv"), row.names = FALSE)
