package wxsim

// Fault kinds.
const (
	FaultHTTP5xx   = "5xx"        // 502 with an HTML body; the client fails to parse it
	FaultHang      = "hang"       // hold until the client gives up (its HTTP timeout)
	FaultDrop      = "drop"       // close the connection before processing
	FaultDropAfter = "drop_after" // process, then close without answering (client retries)
	FaultRet1205   = "ret1205"    // BaseResponse.Ret 1205 "operate too often"
)

// Fault makes one endpoint misbehave.
//
// Endpoint is the last path element ("webwxsendmsg", "synccheck",
// "webwxgetmedia", "webwxuploadmedia", "login", ...). Rate is the
// probability per request (0 means always); Count limits how many requests
// are hit (0 = unlimited). The RNG is seeded by Options.Seed.
//
// Beware: the client re-polls synccheck and webwxsync immediately on any
// error, so an unlimited fault there makes it spin; use Count. ret1205 is
// not applied to synccheck or the login endpoints, where it would only make
// the client spin (the real service never answers that way there).
type Fault struct {
	Endpoint string  `json:"endpoint"`
	Kind     string  `json:"kind"`
	Rate     float64 `json:"rate,omitempty"`
	Count    int     `json:"count,omitempty"`
}

type faultState struct {
	id    int
	f     Fault
	fired int
}

// InjectFault activates a fault until remove is called or Count is reached.
func (s *Server) InjectFault(f Fault) (remove func()) {
	_, remove = s.injectFault(f)
	return remove
}

func (s *Server) injectFault(f Fault) (int, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFault++
	fs := &faultState{id: s.nextFault, f: f}
	s.faults = append(s.faults, fs)
	s.log.Info("fault added", "endpoint", f.Endpoint, "kind", f.Kind, "rate", f.Rate, "count", f.Count)
	return fs.id, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.removeFaultLocked(fs.id)
	}
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) removeFaultLocked(id int) {
	for i, fs := range s.faults {
		if fs.id == id {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return
		}
	}
}

// takeFault returns the kind of the first active fault that fires for this
// request, or "".
func (s *Server) takeFault(endpoint string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fs := range s.faults {
		if fs.f.Endpoint != endpoint {
			continue
		}
		if fs.f.Kind == FaultRet1205 {
			switch endpoint {
			case "synccheck", "login", "jslogin", "webwxnewloginpage":
				continue
			}
		}
		if fs.f.Rate > 0 && fs.f.Rate < 1 && s.rng.Float64() >= fs.f.Rate {
			continue
		}
		fs.fired++
		kind := fs.f.Kind
		if fs.f.Count > 0 && fs.fired >= fs.f.Count {
			s.removeFaultLocked(fs.id)
		}
		return kind
	}
	return ""
}
