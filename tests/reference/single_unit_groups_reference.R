## svychisq of each category by a grouping in which most groups are a single unit (R survey).
## Input: single_unit_groups.csv — the German example study (examples/german_partner_cities),
## grouped by partner_land: 36 experts in 20 units, 13 groups, 9 of them one unit; the final
## codes of `survey run --study examples/german_partner_cities --group-by partner_land`.
## The design is not stratified by group, so a group of one unit needs no variance of its own:
## svychisq computes the test, and survey.analysis.stats.problem_tests_detail must agree.
## Run from this folder:  Rscript single_unit_groups_reference.R  → extra_out/single_unit_groups.csv
suppressMessages(library(survey))
options(digits = 15)
d <- read.csv("single_unit_groups.csv", colClasses = c(expert_id = "character", unit_id = "character"))
cats <- c("visas", "sanctions", "language", "funding", "bureaucracy", "interest", "no_problems")
des <- svydesign(ids = ~unit_id, data = d)
rows <- lapply(cats, function(cat) {
  t <- svychisq(as.formula(paste0("~", cat, "+partner_land")), des, statistic = "F")
  data.frame(category = cat, F = unname(t$statistic), ndf = unname(t$parameter[1]),
             ddf = unname(t$parameter[2]), p = unname(t$p.value))
})
out <- do.call(rbind, rows)
write.csv(out, "extra_out/single_unit_groups.csv", row.names = FALSE)
print(out)
