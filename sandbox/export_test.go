package sandbox

// Internals for the external tests.
var (
	ContentDisposition = contentDisposition
	SweepInterval      = sweepInterval
)
