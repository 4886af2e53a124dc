# Reproduce, check and extend E. D. Sontag, "Some remarks on the backpropagation
# algorithm for neural net learning".  See README.md and workflow/report/workflow.rst.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/problems.smk"
include: "workflow/rules/minima.smk"
include: "workflow/rules/bifurcation.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/trajectories.smk"
include: "workflow/rules/logrule.smk"
include: "workflow/rules/figures_dynamics.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/questions_minima.smk"
include: "workflow/rules/questions_relaxation.smk"
include: "workflow/rules/questions_extrapolation.smk"
include: "workflow/rules/manifest.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
