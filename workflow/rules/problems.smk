# Stage "problems": one data set (u, y) per job, results/problems/{problem}.parquet.
# A generated problem's data follow from its name alone (its family and fields, parsed by
# the one grammar of names); a user's file is read and checked.


rule problem:
    output:
        table=problem_path("{problem}"),
    log:
        "results/logs/problems/{problem}.log",
    wildcard_constraints:
        problem=names.pattern_of(names.GENERATED),
    params:
        spec=lambda wildcards: problem_spec(wildcards.problem),
    run:
        run_script("../scripts/problems/problem.py", locals(), config)


rule file_problem:
    input:
        data=lambda wildcards: PLAN.data_file(wildcards.name),
    output:
        table=problem_path("file/{name}"),
    log:
        "results/logs/problems/file/{name}.log",
    wildcard_constraints:
        name=names.FILE_NAME.pattern,
    params:
        spec=lambda wildcards, input: {
            "problem": f"file/{wildcards.name}",
            "family": "file",
            "fields": {"path": input.data, "name": wildcards.name},
        },
    run:
        run_script("../scripts/problems/problem.py", locals(), config)


rule dataset_problem:
    output:
        table=problem_path("{problem}"),
    log:
        "results/logs/problems/{problem}.log",
    wildcard_constraints:
        problem=names.pattern_of(["dataset"]),
    params:
        spec=lambda wildcards: PLAN.dataset_spec(wildcards.problem),
    run:
        run_script("../scripts/problems/problem.py", locals(), config)
