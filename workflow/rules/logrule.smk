# Stage "logrule": the growth law of each diverging weight and of |x| (is it log t?),
# the Lemma (separable problems have no bounded flow), and the implicit bias.
# Networks at scale: every weight's law and the share of weights in log mode against t.


rule growth_laws:
    input:
        problem=problem_path("{problem}"),
        trajectory=trajectory_path("{problem}", "{theta}", "{method}"),
    output:
        table=logrule_path("{problem}", "{theta}", "{method}"),
    log:
        "results/logs/logrule/{problem}/{theta}/{method}.log",
    params:
        settings=PLAN.settings("logrule"),
    run:
        run_script("../scripts/logrule/growth_laws.py", locals(), config)


rule xor_growth_laws:
    input:
        trajectory=trajectory_path(**XOR),
    output:
        table=logrule_path(**XOR),
    log:
        "results/logs/logrule/xor/logistic/backprop.log",
    params:
        settings=PLAN.settings("logrule"),
    run:
        run_script("../scripts/logrule/growth_laws.py", locals(), config)


rule implicit_bias:
    input:
        problem=problem_path("{problem}"),
        trajectory=trajectory_path("{problem}", "{theta}", "flow"),
    output:
        table=implicit_bias_path("{problem}", "{theta}"),
        angles=implicit_bias_path("{problem}", "{theta}", "_angles"),
    log:
        "results/logs/implicit_bias/{problem}/{theta}.log",
    params:
        settings=PLAN.settings("logrule"),
    run:
        run_script("../scripts/logrule/implicit_bias.py", locals(), config)


rule growth_laws_table:
    input:
        tables=[logrule_path(**job) for job in PLAN.growth_law_jobs],
    output:
        table=aggregate_path("growth_laws"),
    log:
        "results/logs/tables/growth_laws.log",
    params:
        jobs=PLAN.growth_law_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule implicit_bias_table:
    input:
        tables=[implicit_bias_path(**job) for job in PLAN.neuron_jobs],
    output:
        table="results/tables/implicit_bias.parquet",
    log:
        "results/logs/tables/implicit_bias.log",
    params:
        jobs=PLAN.neuron_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule lemma_table:
    input:
        problems=[problem_path(job["problem"]) for job in PLAN.neuron_jobs],
        flows=[trajectory_path(**job, method="flow") for job in PLAN.neuron_jobs],
    output:
        table="results/tables/lemma.parquet",
    log:
        "results/logs/tables/lemma.log",
    params:
        jobs=PLAN.neuron_jobs,
        settings=PLAN.settings("logrule"),
    run:
        run_script("../scripts/logrule/lemma_table.py", locals(), config)


rule network_growth_laws:
    input:
        trajectory=trajectory_path("{problem}", "{network}", "{method}"),
    output:
        table=logrule_path("{problem}", "{network}", "{method}"),
        log_mode=log_mode_path("{problem}", "{network}", "{method}"),
    log:
        "results/logs/logrule/{problem}/{network}/{method}.log",
    params:
        settings=PLAN.scale_settings("logrule"),
    run:
        run_script("../scripts/logrule/network_growth_laws.py", locals(), config)


rule scale_log_mode_table:
    input:
        tables=[log_mode_path(**job) for job in PLAN.scale_trajectory_jobs],
    output:
        table=aggregate_path("scale_log_mode"),
    log:
        "results/logs/tables/scale_log_mode.log",
    params:
        jobs=PLAN.scale_trajectory_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)
