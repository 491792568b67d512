package app

// Internals for the external tests.
var Checkpoints = checkpoints
