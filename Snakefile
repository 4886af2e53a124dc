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


rule all:
    default_target: True
    input:
        PLAN.final_outputs(),
