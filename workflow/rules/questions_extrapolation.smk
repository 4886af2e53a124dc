# Stage "extrapolation" (open question): rules to come.
