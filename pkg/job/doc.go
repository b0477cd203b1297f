// Package job wires bulkassign's pieces once, for the command and the benchmark: a
// Session is a connection to one API (Connect: the backend, its sign-in, its pacing,
// or a Simulation, a local copy of the API seeded from the plan), Session.Plan makes a
// plan of an Input (planner.Build reading the users of the file), and Session.Run
// plans and runs: it locks the output, reads it back and checks it against the input
// when resuming, writes the manifest, sends every change through the runner with its
// rollback rows written ahead, and returns the summary, which counts the lines of the
// input.
//
// Errors are the libraries' own (a *planner.InputError, a *report.LockedError, a
// *signin.Error, a *runner.StopError...) or a *SettingError naming a setting; the
// command maps them to exit codes and to the flag or variable a user sets.
package job
