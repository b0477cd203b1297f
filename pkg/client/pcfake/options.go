package pcfake

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// Option configures a Server; see New. An option checks its own arguments: New
// returns the problems of every option at once.
type Option func(*Server) error

// WithCustomer adds a customer whose subscribed SKUs are a deep copy of skus, with
// their units as the catalogue states them. A second WithCustomer for the same ID
// replaces the first.
func WithCustomer(customerID string, skus []partnercenter.SubscribedSku) Option {
	return func(s *Server) error {
		if strings.TrimSpace(customerID) == "" {
			return errors.New("WithCustomer: the customer ID is empty")
		}
		if err := validateCatalogue(skus); err != nil {
			return fmt.Errorf("WithCustomer %s: %w", customerID, err)
		}
		s.customers[strings.ToLower(customerID)] = newCustomer(customerID, skus)
		return nil
	}
}

// WithUsers gives a customer a user list: from then on a call for a user who is not on
// it is answered 404 with code 60002, and a user may be addressed by ID or user
// principal name, both naming the same holder in the ledger. The users GET pages
// through the list in the order given (deleted users apart, see the package
// documentation); an assignment to a user without a usage location, or to an inactive
// one, is refused. Without WithUsers every user exists (see MakeUser), with no checks,
// and the users GET answers an empty collection. Every user needs an ID; a user whose
// ID is already on the list replaces the earlier entry in its place. GenerateUsers
// makes a list, ReadUsersCSV reads one.
func WithUsers(customerID string, users []User) Option {
	return func(s *Server) error {
		s.pendingUsers = append(s.pendingUsers, pendingUsers{customerID, append([]User(nil), users...)})
		return nil
	}
}

// WithToken sets the bearer token every call must carry, else it is answered 401 with
// code 800001. The empty token (the default) accepts any non-empty bearer token.
func WithToken(token string) Option {
	return func(s *Server) error {
		if token == "" {
			s.tokenCheck = nil
			return nil
		}
		want := []byte(token)
		s.tokenCheck = func(got string) bool { return subtle.ConstantTimeCompare([]byte(got), want) == 1 }
		return nil
	}
}

// WithTokenCheck decides with f which non-empty bearer tokens are accepted (for
// example tokens that expire); it replaces WithToken.
func WithTokenCheck(f func(token string) bool) Option {
	return func(s *Server) error {
		if f == nil {
			return errors.New("WithTokenCheck: the token check is nil")
		}
		s.tokenCheck = f
		return nil
	}
}

// WithMFACheck enforces multi-factor authentication, as Partner Center does for App+User
// tokens from April 2026: a call whose token passes the token check but not f (the
// token carries no MFA claim) is answered 401 with code 900421 and a description saying
// that multi-factor authentication is required, and nothing in it is applied. The token
// never appears in the answer. Without it no call is refused for MFA.
func WithMFACheck(f func(token string) bool) Option {
	return func(s *Server) error {
		if f == nil {
			return errors.New("WithMFACheck: the MFA check is nil")
		}
		s.mfaCheck = f
		return nil
	}
}

// WithRateLimit throttles every call to rps requests per second with bursts of burst
// (a token bucket); a request over the limit is answered 429 with Retry-After,
// consumes no token and is not applied. rps 0 (the default) is unlimited; burst below
// 1 counts as 1. WithReadRateLimit and WithWriteRateLimit add budgets of their own.
func WithRateLimit(rps float64, burst int) Option {
	return rateOption("WithRateLimit", budgetAll, rps, burst)
}

// WithReadRateLimit throttles reads (GETs) to rps requests per second with bursts of
// burst, apart from writes, as Partner Center budgets them; a read must also pass
// WithRateLimit when both are set. rps 0 (the default) is unlimited.
func WithReadRateLimit(rps float64, burst int) Option {
	return rateOption("WithReadRateLimit", budgetRead, rps, burst)
}

// WithWriteRateLimit throttles writes (licenseupdates POSTs, user PATCHes and every
// method other than GET) to rps requests per second with bursts of burst, apart from
// reads; a write must also pass WithRateLimit when both are set. rps 0 (the default) is
// unlimited.
func WithWriteRateLimit(rps float64, burst int) Option {
	return rateOption("WithWriteRateLimit", budgetWrite, rps, burst)
}

func rateOption(name string, b budget, rps float64, burst int) Option {
	return func(s *Server) error {
		if math.IsNaN(rps) || math.IsInf(rps, 0) || rps < 0 {
			return fmt.Errorf("%s: rate %v is not a number of requests per second from 0", name, rps)
		}
		s.rates[b] = rateSetting{rps: rps, burst: burst}
		return nil
	}
}

// WithLatency makes every request that passes the token and rate checks wait mean plus
// or minus a uniform jitter before it is processed, honouring the request's context.
func WithLatency(mean, jitter time.Duration) Option {
	return func(s *Server) error {
		if mean < 0 || jitter < 0 {
			return fmt.Errorf("WithLatency: latency %v and jitter %v must not be negative", mean, jitter)
		}
		s.latency, s.jitter = mean, jitter
		return nil
	}
}

// WithLatencySpikes adds d to the latency of a share p (0 to 1) of requests.
func WithLatencySpikes(p float64, d time.Duration) Option {
	return func(s *Server) error {
		if err := checkShare("WithLatencySpikes", p); err != nil {
			return err
		}
		if d < 0 {
			return fmt.Errorf("WithLatencySpikes: spike %v must not be negative", d)
		}
		s.spikeP, s.spikeD = p, d
		return nil
	}
}

// WithFailureRate answers a share p (0 to 1) of calls with 500 or 503 and code 800003,
// without applying them.
func WithFailureRate(p float64) Option {
	return func(s *Server) error {
		if err := checkShare("WithFailureRate", p); err != nil {
			return err
		}
		s.failureP = p
		return nil
	}
}

// WithDropRate drops the connection of a share p (0 to 1) of licenseupdates POSTs
// after the update was applied, without an answer: the client cannot know whether its
// call worked. A net/http server closes the connection (the handler panics with
// http.ErrAbortHandler); Transport returns an error.
func WithDropRate(p float64) Option {
	return func(s *Server) error {
		if err := checkShare("WithDropRate", p); err != nil {
			return err
		}
		s.dropP = p
		return nil
	}
}

func checkShare(name string, p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return fmt.Errorf("%s: share %v is not between 0 and 1", name, p)
	}
	return nil
}

// WithSeed makes the fake's random choices (jitter, spikes, failures, drops)
// repeatable: the same seed and the same sequence of requests give the same faults.
func WithSeed(seed int64) Option {
	return func(s *Server) error {
		s.seed, s.seeded = seed, true
		return nil
	}
}

// WithRequestLog keeps a record of every request, read with Requests. It is off by
// default to keep long runs small.
func WithRequestLog() Option {
	return func(s *Server) error {
		s.logRequests = true
		return nil
	}
}

// WithInspection also serves read-only endpoints that show the fake's state to a test
// or a script in another process, as JSON:
//
//	GET /_pcfake/stats                       Stats
//	GET /_pcfake/holdings?customer=ID        Holdings(ID): {user: {skuId: excluded plan IDs or null}}
//	GET /_pcfake/units?customer=ID[&sku=ID]  [SkuUnits...] in catalogue order, or of the one SKU
//	GET /_pcfake/requests                    Requests(): the request log, oldest end first
//
// It turns the request log on (WithRequestLog), so a long run with it grows in memory.
// An unknown customer or SKU is answered 404, a missing customer 400, with
// {"error": "..."}. These are not Partner Center calls: they need no token, meet no
// latency, rate limit or fault, and count in no Stats. Off by default.
func WithInspection() Option {
	return func(s *Server) error {
		s.inspection, s.logRequests = true, true
		return nil
	}
}

// WithObjectIDLookupsOnly plays a Partner Center whose user GET and PATCH find a user
// by object ID only: a user principal name in the path is answered 404 with code 60002.
// By default both are accepted (the documentation names only the object ID). The
// licenseupdates POST accepts both either way, as its REST reference says.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-user-account-by-id
func WithObjectIDLookupsOnly() Option {
	return func(s *Server) error {
		s.behaviour.objectIDLookupsOnly = true
		return nil
	}
}

// WithDeletedUsersInListing plays a Partner Center whose users listing includes deleted
// (inactive) users among the others, with their state. By default it leaves them out
// and lists them only when asked with the UserState filter, as the documentation says.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-deleted-users-for-a-customer
func WithDeletedUsersInListing() Option {
	return func(s *Server) error {
		s.behaviour.deletedInListing = true
		return nil
	}
}

// WithDeletedUsersFoundByID plays a Partner Center whose user GET (and PATCH) finds a
// deleted user and answers it with state "inactive". By default a deleted user is not
// found: 404 with code 60002.
func WithDeletedUsersFoundByID() Option {
	return func(s *Server) error {
		s.behaviour.deletedFoundByID = true
		return nil
	}
}

// WithStrictRemovals plays a directory that refuses to remove a license the user does
// not hold: 400, code 800002, description "User does not have a corresponding
// license", nothing in the request applied. By default such a removal is harmless (201,
// no unit freed).
func WithStrictRemovals() Option {
	return func(s *Server) error {
		s.behaviour.strictRemovals = true
		return nil
	}
}
