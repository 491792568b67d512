package sandbox

// Internals for the external tests.
var (
	ContentDisposition = contentDisposition
	Checkpoints        = checkpoints
	SweepInterval      = sweepInterval
)
