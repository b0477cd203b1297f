package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/samples"
)

// graphPartnerTenant is the partner's own tenant in the local Graph: the tenant the
// bench's app signs in to first, holding no user.
const graphPartnerTenant = "9b1c3f7a-2d4e-4a6b-8c0d-1e2f3a4b5c6d"

// graphServed is graphfake as served.
type graphServed struct{ *graphfake.Server }

func (f graphServed) stats() any { return f.Stats() }

// setLimit changes the plain ceiling on every request ("all") or the write budget
// per app and tenant ("write").
func (f graphServed) setLimit(budget string, rps float64, burst int) error {
	switch budget {
	case "all":
		f.SetRateLimit(rps, burst)
		return nil
	case "write":
		l := f.Limits()
		l.Writes = writeBudget(rps, burst)
		return f.SetLimits(l)
	}
	return fmt.Errorf("unknown budget %q", budget)
}

// writeBudget is a Graph budget that refills at rps with room for burst writes.
func writeBudget(rps float64, burst int) graphfake.Budget {
	burst = max(burst, 1)
	return graphfake.Budget{Limit: burst, Window: time.Duration(float64(burst) / rps * float64(time.Second))}
}

// newGraphFake builds the local Graph cfg describes: the partner's tenant and each of
// cfg.Tenants with the sample catalogue (fakeUnits seats of every SKU), each tenant's
// users those the input names for it, Graph's throttling budgets (DefaultLimits) with
// cfg's write budget and ceiling, tokens from its token endpoint for any app.
func newGraphFake(cfg fakeConfig) (served, error) {
	if len(cfg.Tenants) == 0 {
		return nil, errors.New("no tenant")
	}
	skus, err := graphfake.LoadSubscribedSkus(bytes.NewReader(samples.GraphCatalogue))
	if err != nil {
		return nil, err
	}
	for i := range skus {
		skus[i].PrepaidUnits.Enabled = fakeUnits + skus[i].ConsumedUnits
	}
	opts := []graphfake.Option{graphfake.WithTenant(graphPartnerTenant, skus), graphfake.WithSeed(1)}
	for _, t := range cfg.Tenants {
		opts = append(opts, graphfake.WithTenant(t, skus))
	}
	if cfg.Input != "" {
		users, err := graphUsers(cfg.Input, cfg.Tenants[0])
		if err != nil {
			return nil, err
		}
		for t, us := range users {
			opts = append(opts, graphfake.WithUsers(t, us))
		}
	}
	if cfg.Latency > 0 {
		opts = append(opts, graphfake.WithLatency(cfg.Latency, 0))
	}
	if cfg.All.RPS > 0 {
		opts = append(opts, graphfake.WithRateLimit(cfg.All.RPS, cfg.All.Burst))
	}
	if cfg.Write.RPS > 0 {
		b := writeBudget(cfg.Write.RPS, cfg.Write.Burst)
		opts = append(opts, graphfake.WithWriteLimit(b.Limit, b.Window))
	}
	f, err := graphfake.New(opts...)
	if err != nil {
		return nil, err
	}
	return graphServed{f}, nil
}

// graphUsers reads the users of an input file by tenant (its customer column, else
// defaultTenant): each a user of that tenant, with a stable ID made from the name and
// usage location US.
func graphUsers(path, defaultTenant string) (map[string][]graphfake.User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	col := func(name string) int {
		return slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), name) })
	}
	userCol, custCol := col("user"), col("customer")
	if userCol < 0 {
		return nil, fmt.Errorf("read %s: no user column", path)
	}
	out := map[string][]graphfake.User{}
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		tenant := defaultTenant
		if custCol >= 0 && custCol < len(rec) && strings.TrimSpace(rec[custCol]) != "" {
			tenant = strings.TrimSpace(rec[custCol])
		}
		name := strings.TrimSpace(rec[userCol])
		if key := strings.ToLower(tenant + "/" + name); name != "" && !seen[key] {
			seen[key] = true
			out[tenant] = append(out[tenant], graphfake.User{
				ID:                uuid.NewSHA1(uuid.NameSpaceOID, []byte(strings.ToLower(name))).String(),
				UserPrincipalName: name, DisplayName: name, UsageLocation: "US",
			})
		}
	}
}
