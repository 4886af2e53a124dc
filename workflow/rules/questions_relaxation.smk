# Stage "relaxation" (open question): rules to come.
