# Open question 3, "is relaxation worth it?": multistart descent, simulated annealing and
# basin hopping, by P(global minimum reached) against evaluations (config `relaxation`).

RELAXATION = config.get("relaxation") or {}
RELAXATION_PROBLEMS = list(RELAXATION.get("problems", []))
RELAXATION_THETAS = list(RELAXATION.get("thetas", []))
# Every value a relaxation job uses (its problem and theta come from the wildcards).
RELAXATION_SETTINGS = {
    key: RELAXATION[key]
    for key in (
        "repeats",
        "max_evals",
        "per_decade",
        "tol",
        "seed",
        "start_scale",
        "box_factor",
        "hopping_stepsize",
        "hopping_temperature",
        "minima_starts",
    )
    if key in RELAXATION
}
# The (problem, theta) jobs, in table order, and their tables.
RELAXATION_JOBS = [
    {"problem": problem, "theta": theta}
    for problem in RELAXATION_PROBLEMS
    for theta in RELAXATION_THETAS
]
RELAXATION_TABLES = [
    f"results/relaxation/{job['problem']}/{job['theta']}.parquet" for job in RELAXATION_JOBS
]

# What the schema cannot check: known problem names, thetas among `thetas`.  (Helpers
# here are lambdas and constants: `snakemake --lint` rejects functions beside rules.)
RELAXATION_ERRORS = (
    [
        f"invalid config value relaxation.problems: {problem!r} is not a problem name "
        "(e.g. product/m3_a10, random/n16_m3_nonsep_s0, n2m1/type3_a10, file/<name>)"
        for problem in RELAXATION_PROBLEMS
        if not re.fullmatch(PROBLEM_PATTERN, problem)
    ]
    + [
        f"invalid config value relaxation.problems: {problem!r} is not in data_files"
        for problem in RELAXATION_PROBLEMS
        if re.fullmatch(r"file/.*", problem) and problem.removeprefix("file/") not in DATA_FILES
    ]
    + [
        f"invalid config value relaxation.thetas = {RELAXATION_THETAS!r}: {theta} is not in "
        f"thetas = {THETAS!r}"
        for theta in RELAXATION_THETAS
        if theta not in THETAS
    ]
)
if RELAXATION_ERRORS:
    raise WorkflowError("\n".join(f"Bad config: {error}" for error in RELAXATION_ERRORS))

# The final targets of the comparison, for `rule all` (none without a relaxation section).
get_relaxation_outputs = lambda: (
    [
        "results/tables/relaxation.parquet",
        "results/figures/relaxation.png",
        "results/figures/relaxation.pdf",
    ]
    if RELAXATION_JOBS
    else []
)


rule relaxation:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/relaxation/{problem}/{theta}.parquet",
    log:
        "results/logs/relaxation/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/relaxation/{problem}/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=RELAXATION_SETTINGS,
    script:
        "../scripts/relaxation.py"


rule relaxation_table:
    input:
        tables=RELAXATION_TABLES,
    output:
        table="results/tables/relaxation.parquet",
    log:
        "results/logs/tables/relaxation.log",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=RELAXATION_JOBS,
    script:
        "../scripts/stack_tables.py"


rule relaxation_figure:
    input:
        table="results/tables/relaxation.parquet",
    output:
        png=report(
            "results/figures/relaxation.png",
            caption="../report/relaxation_figure.rst",
            category="Relaxation",
            labels={"format": "png"},
        ),
        pdf=report(
            "results/figures/relaxation.pdf",
            caption="../report/relaxation_figure.rst",
            category="Relaxation",
            labels={"format": "pdf"},
        ),
    log:
        "results/logs/figures/relaxation.log",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/relaxation_figure.py"
