package scheduler

// RunJob runs a scheduled job now through the production chain (runJob).
func (s *Scheduler) RunJob(name string) bool { return s.runJob(name) }
