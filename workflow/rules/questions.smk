# The report's open questions 3 and 4 (config sections `relaxation`, `extrapolation`):
# "is relaxation worth it?" -- multistart descent against simulated annealing and basin
# hopping, by P(global minimum reached) against evaluations; "can the log rule
# extrapolate?" -- plain backprop against backprop with log-rule jumps, by steps to a
# target error.  Each names its problems, any problem name (checked with the config).
# At scale (config section `scale`): the race on networks of realistic size on real data,
# from the flow's state at t_start, with the held-out error and margins of what is learnt.


rule relaxation:
    input:
        problem=problem_path("{problem}"),
    output:
        table=relaxation_path("{problem}", "{theta}"),
    log:
        "results/logs/relaxation/{problem}/{theta}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.relaxation_settings(),
    script:
        "../scripts/questions/relaxation.py"


rule extrapolation:
    input:
        problem=problem_path("{problem}"),
    output:
        table=extrapolation_path("{problem}", "{theta}"),
        trace=extrapolation_path("{problem}", "{theta}", "_trace"),
    log:
        "results/logs/extrapolation/{problem}/{theta}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.extrapolation_settings(),
    script:
        "../scripts/questions/extrapolation.py"


rule xor_extrapolation:
    output:
        table=extrapolation_path("xor", "logistic"),
        trace=extrapolation_path("xor", "logistic", "_trace"),
    log:
        "results/logs/extrapolation/xor/logistic.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.xor_extrapolation_settings(),
    script:
        "../scripts/questions/extrapolation.py"


rule relaxation_table:
    input:
        tables=[relaxation_path(**job) for job in PLAN.relaxation_jobs],
    output:
        table="results/tables/relaxation.parquet",
    log:
        "results/logs/tables/relaxation.log",
    params:
        jobs=PLAN.relaxation_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule extrapolation_table:
    input:
        tables=[extrapolation_path(**job) for job in PLAN.extrapolation_table_jobs],
    output:
        table="results/tables/extrapolation.parquet",
    log:
        "results/logs/tables/extrapolation.log",
    params:
        jobs=PLAN.extrapolation_table_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule network_extrapolation:
    input:
        problem=problem_path("{problem}"),
        flow=trajectory_path("{problem}", "{network}", "flow"),
    output:
        table=extrapolation_path("{problem}", "{network}"),
        trace=extrapolation_path("{problem}", "{network}", "_trace"),
        networks=extrapolation_path("{problem}", "{network}", "_networks"),
        margins=extrapolation_path("{problem}", "{network}", "_margins"),
        scan=extrapolation_path("{problem}", "{network}", "_scan"),
    log:
        "results/logs/extrapolation/{problem}/{network}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.scale_settings("extrapolation"),
    script:
        "../scripts/questions/network_extrapolation.py"


rule scale_networks_table:
    input:
        tables=[
            extrapolation_path(job["problem"], job["network"], "_networks")
            for job in PLAN.scale_jobs
        ],
    output:
        table=aggregate_path("scale_networks"),
    log:
        "results/logs/tables/scale_networks.log",
    params:
        jobs=PLAN.scale_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule scale_scan_table:
    input:
        tables=[
            extrapolation_path(job["problem"], job["network"], "_scan") for job in PLAN.scale_jobs
        ],
    output:
        table=aggregate_path("scale_scan"),
    log:
        "results/logs/tables/scale_scan.log",
    params:
        jobs=PLAN.scale_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)
