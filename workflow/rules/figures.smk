# Stage "figures": the paper's Figures 1-5 for every theta, the bifurcation diagram and
# the figures of the extended results, each as PNG and PDF in the report, with a caption
# that names the claim it tests (`snakemake --report`).


rule paper_figure:
    input:
        problems=[problem_path(problem) for problem in PLAN.paper_figure_problems()],
        critical=lambda wildcards: [
            minima_path(problem, wildcards.theta) for problem in PLAN.paper_figure_problems()
        ],
    output:
        **figure_set(
            {
                f"fig{fig}": (f"fig{fig}_{{theta}}", f"paper_figure{fig}", f"Figure {fig}")
                for fig in PAPER_FIGURES
            },
            "Paper figures",
            theta="{theta}",
        ),
    log:
        "results/logs/figures/paper_{theta}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        problems=PLAN.paper_figure_problems(),
        paper_theta=lambda wildcards: wildcards.theta == PLAN.settings("figures")["paper_theta"],
    script:
        "../scripts/figures/paper_figure.py"


rule bifurcation_figure:
    input:
        critical="results/tables/critical_points.parquet",
        bifurcation="results/tables/bifurcation.parquet",
    output:
        **figure_outputs("bifurcation", "bifurcation_figure", "Bifurcation of the type-3 example"),
    log:
        "results/logs/figures/bifurcation.log",
    conda:
        "../envs/backprop.yaml"
    params:
        thetas=PLAN.thetas,
    script:
        "../scripts/figures/bifurcation_figure.py"


rule trajectories_figure:
    input:
        flows=lambda wildcards: [
            trajectory_path(problem, wildcards.theta, "flow")
            for problem in PLAN.trajectory_problems
        ],
        laws=lambda wildcards: [
            logrule_path(problem, wildcards.theta, "flow") for problem in PLAN.trajectory_problems
        ],
    output:
        **figure_set(
            {plot: (f"{plot}_{{theta}}", "dynamics_figure", plot) for plot in DYNAMICS_PLOTS},
            "Diverging weights",
            theta="{theta}",
        ),
    log:
        "results/logs/figures/dynamics_{theta}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        problems=PLAN.trajectory_problems,
    script:
        "../scripts/figures/dynamics_figure.py"


rule xor_figure:
    input:
        trajectory=trajectory_path(**XOR),
        seeds="results/tables/xor_seeds.parquet",
    output:
        **figure_outputs("fig5_xor", "xor_figure", "Diverging weights", "Figure 5"),
    log:
        "results/logs/figures/fig5_xor.log",
    conda:
        "../envs/backprop.yaml"
    script:
        "../scripts/figures/dynamics_figure.py"


rule margin_angle_figure:
    input:
        angles=[implicit_bias_path(**job, suffix="_angles") for job in PLAN.neuron_jobs],
    output:
        **figure_outputs("margin_angle", "margin_angle", "Diverging weights", "Implicit bias"),
    log:
        "results/logs/figures/margin_angle.log",
    conda:
        "../envs/backprop.yaml"
    params:
        jobs=PLAN.neuron_jobs,
        thetas=PLAN.thetas,
    script:
        "../scripts/figures/dynamics_figure.py"


rule minima_figure:
    input:
        counts="results/tables/minima_counts.parquet",
    output:
        **figure_outputs("{plot}", "minima_figure", "Local minima", figure="{plot}"),
    log:
        "results/logs/figures/{plot}.log",
    wildcard_constraints:
        plot="|".join(MINIMA_FIGURES),
    conda:
        "../envs/backprop.yaml"
    params:
        thetas=PLAN.minima_thetas,
    script:
        "../scripts/figures/minima_figure.py"


rule network_figure:
    input:
        counts=aggregate_path("network_counts"),
    output:
        **figure_outputs("network_minima", "network_figure", "Local minima", figure="networks"),
    log:
        "results/logs/figures/network_minima.log",
    conda:
        "../envs/backprop.yaml"
    script:
        "../scripts/figures/network_figure.py"


rule relaxation_figure:
    input:
        table="results/tables/relaxation.parquet",
    output:
        **figure_outputs("relaxation", "relaxation_figure", "Relaxation"),
    log:
        "results/logs/figures/relaxation.log",
    conda:
        "../envs/backprop.yaml"
    script:
        "../scripts/figures/relaxation_figure.py"


rule extrapolation_figure:
    input:
        table="results/tables/extrapolation.parquet",
        traces=[extrapolation_path(**job, suffix="_trace") for job in PLAN.extrapolation_jobs],
    output:
        **figure_outputs("extrapolation", "extrapolation_figure", "Extrapolation"),
    log:
        "results/logs/figures/extrapolation.log",
    conda:
        "../envs/backprop.yaml"
    params:
        jobs=PLAN.extrapolation_jobs,
    script:
        "../scripts/figures/extrapolation_figure.py"


rule scale_figure:
    input:
        flow=trajectory_path("{problem}", "{network}", "flow"),
        log_modes=[log_mode_path("{problem}", "{network}", method) for method in METHODS],
        margins=extrapolation_path("{problem}", "{network}", "_margins"),
    output:
        **figure_outputs(
            scale_figure_name("{problem}", "{network}"),
            "scale_figure",
            "Diverging weights",
            "Figure 5 at scale",
            problem="{problem}",
            network="{network}",
        ),
    log:
        "results/logs/figures/scale/{problem}/{network}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        methods=list(METHODS),
        settings=PLAN.scale_settings("logrule"),
    script:
        "../scripts/figures/scale_figure.py"


rule disconnectivity_figure:
    input:
        barriers=aggregate_path("barriers"),
        minima=aggregate_path("minima"),
    output:
        **figure_outputs(
            "disconnectivity", "disconnectivity_figure", "Local minima", figure="barriers"
        ),
    log:
        "results/logs/figures/disconnectivity.log",
    conda:
        "../envs/backprop.yaml"
    params:
        panels=PLAN.disconnectivity_panels(),
    script:
        "../scripts/figures/disconnectivity_figure.py"
