package graphfake

import (
	"fmt"
	"time"
)

// WithReadLag makes reads of a user's licenses and usage location (GET /users,
// /users/{id}, licenseDetails) show the user as it was d ago, as Entra ID's eventual
// consistency may (CIPP reports 2 to 5 minutes before an assignment shows). Writes
// always see the current state. The default, 0, shows every change at once.
func WithReadLag(d time.Duration) Option {
	return func(s *Server) error {
		if d < 0 {
			return fmt.Errorf("WithReadLag: the lag %v must not be negative", d)
		}
		s.readLag = d
		return nil
	}
}

// state is what a read shows of a user's licenses and usage location.
type state struct {
	usageLocation string
	licenses      map[string][]grant
}

// snapshot is a user's state that was current until a write replaced it.
type snapshot struct {
	state
	until time.Time
}

// record keeps the user's current state before a write replaces it, for WithReadLag.
// The caller holds s.mu.
func (s *Server) record(u *user) {
	if s.readLag <= 0 {
		return
	}
	u.past = append(u.past, snapshot{state{u.UsageLocation, u.licenses}, time.Now()})
}

// view is the user as reads show it: the state current readLag ago. States no read
// can show any more are forgotten. The caller holds s.mu.
func (s *Server) view(u *user) state {
	if s.readLag > 0 {
		cutoff := time.Now().Add(-s.readLag)
		for len(u.past) > 0 && !u.past[0].until.After(cutoff) {
			u.past = u.past[1:]
		}
		if len(u.past) > 0 {
			return u.past[0].state
		}
	}
	return state{u.UsageLocation, u.licenses}
}
