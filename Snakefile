# Reproduce, check and extend E. D. Sontag, "Some remarks on the backpropagation
# algorithm for neural net learning".  One rule file per stage; see README.md ("Layout")
# and workflow/report/workflow.rst.  Default threads and resources: profiles/default.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/problems.smk"
include: "workflow/rules/minima.smk"
include: "workflow/rules/trajectories.smk"
include: "workflow/rules/logrule.smk"
include: "workflow/rules/questions.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/pipeline.smk"


# On a cluster (profiles/slurm) these run on the submitting host instead of as batch jobs:
# each takes seconds in any config (data sets, the type-3 fold, the aggregate tables, the
# summary, the manifest and the figures), less than a batch job's start-up and status
# checks would add.  Every other job is submitted (docs/cluster.md).
localrules:
    all,
    problem,
    file_problem,
    dataset_problem,
    type3_bifurcation,
    critical_points_table,
    minima_table,
    bifurcation_table,
    minima_counts,
    barriers_table,
    network_tables,
    growth_laws_table,
    implicit_bias_table,
    lemma_table,
    relaxation_table,
    extrapolation_table,
    scale_log_mode_table,
    scale_networks_table,
    scale_scan_table,
    summary,
    manifest,
    paper_figure,
    bifurcation_figure,
    trajectories_figure,
    xor_figure,
    margin_angle_figure,
    minima_figure,
    relaxation_figure,
    extrapolation_figure,
    network_figure,
    scale_figure,
    disconnectivity_figure,


rule all:
    default_target: True
    input:
        PLAN.final_outputs(),
