package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestSpread(t *testing.T) {
	others := make([]string, 8)
	for i := range others {
		others[i] = fmt.Sprint(i)
	}
	got := spread([]string{"a", "b"}, others)
	// 10 in all: a at about 1/4 (index 2), b at about 3/4 (index 7).
	want := []string{"0", "1", "a", "2", "3", "4", "5", "b", "6", "7"}
	if !slices.Equal(got, want) {
		t.Errorf("spread = %v, want %v", got, want)
	}
	if got := spread([]string{"a", "b"}, nil); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("spread without others = %v", got)
	}
	if got := spread(nil, others); !slices.Equal(got, others) {
		t.Errorf("spread without file users = %v", got)
	}
}

func TestDirectory(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(in, inputCSV(3), 0o600); err != nil {
		t.Fatal(err)
	}
	users, err := directory(in, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 12 {
		t.Fatalf("%d users, want 12", len(users))
	}
	var fileAt []int
	for i, u := range users {
		if strings.HasPrefix(u.UserPrincipalName, "bench") {
			fileAt = append(fileAt, i)
			if u != pcfake.MakeUser(u.UserPrincipalName) {
				t.Errorf("file user %+v is not as MakeUser makes it", u)
			}
		}
	}
	if !slices.Equal(fileAt, []int{2, 6, 10}) {
		t.Errorf("the file's users are at %v, want spread at 2, 6, 10", fileAt)
	}
}

func TestFakeCommand(t *testing.T) {
	fake, err := newPCFake(fakeConfig{Write: limit{RPS: 20, Burst: 5}})
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{}
	ln.accepted.Store(3)
	for _, tc := range []struct{ cmd, want string }{
		{"limit write 10 5", "ok"},
		{"limit read 50 5", "ok"},
		{"limit all 0 1", "ok"},
		{"limit writes 10 5", `error unknown budget "writes"`},
		{"limit write ten 5", "error "},
		{"conns", "3"},
		{"nope", `error unknown command "nope"`},
	} {
		if got := fakeCommand(fake, ln, tc.cmd); !strings.HasPrefix(got, tc.want) {
			t.Errorf("fakeCommand(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
	var st pcfake.Stats
	if err := json.Unmarshal([]byte(fakeCommand(fake, ln, "stats")), &st); err != nil || st.ByStatus == nil {
		t.Errorf("stats answer does not decode as pcfake.Stats: %v, %+v", err, st)
	}
}

func TestParseBenchLines(t *testing.T) {
	out := `goos: linux
BenchmarkRequestPath/transport=pcfake-2         	   20000	     27802 ns/op	        38.90 cpu-us/req	   10590 B/op	     124 allocs/op
BenchmarkRequestPath/transport=fixed-2          	   20000	     13371 ns/op	        17.30 cpu-us/req	    5196 B/op	      69 allocs/op
BenchmarkOther-2 1 2 ns/op
PASS`
	got := parseBenchLines(out, "BenchmarkRequestPath/")
	want := []benchResult{
		{name: "transport=pcfake", nsPerOp: 27802, cpuUs: 38.9, allocs: 124, bytes: 10590},
		{name: "transport=fixed", nsPerOp: 13371, cpuUs: 17.3, allocs: 69, bytes: 5196},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseBenchLines = %+v, want %+v", got, want)
	}
}

func TestGraphUsers(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.csv")
	data := "User,sku,Customer\nann@a.com,E3,t1\nbob@b.com,E3,\nann@a.com,E5,t1\nANN@a.com,E3,t2\n"
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	users, err := graphUsers(in, "t0")
	if err != nil {
		t.Fatal(err)
	}
	names := func(tenant string) []string {
		var out []string
		for _, u := range users[tenant] {
			out = append(out, u.UserPrincipalName)
		}
		return out
	}
	if !slices.Equal(names("t1"), []string{"ann@a.com"}) || !slices.Equal(names("t0"), []string{"bob@b.com"}) || !slices.Equal(names("t2"), []string{"ANN@a.com"}) {
		t.Errorf("users by tenant = %v", users)
	}
	if a, b := users["t1"][0], users["t2"][0]; a.ID != b.ID || a.ID == "" || a.UsageLocation != "US" {
		t.Errorf("one name in two tenants: %+v and %+v; want the same stable ID and usage location US", a, b)
	}
}

func TestGraphFakeLimits(t *testing.T) {
	f, err := newGraphFake(fakeConfig{API: "graph", Tenants: []string{"7e5f1a2b-8c9d-4e0f-a1b2-000000000001"}, Write: limit{RPS: 10, Burst: 10}})
	if err != nil {
		t.Fatal(err)
	}
	g := f.(graphServed)
	if got, want := g.Limits().Writes, writeBudget(10, 10); got != want || want.Window != time.Second {
		t.Errorf("write budget %+v, want %+v (10 a second)", got, want)
	}
	if err := f.setLimit("write", 5, 10); err != nil {
		t.Fatal(err)
	}
	if got := g.Limits().Writes; got.Limit != 10 || got.Window != 2*time.Second {
		t.Errorf("write budget after setLimit(write, 5, 10) = %+v, want 10 per 2 s", got)
	}
	if err := f.setLimit("read", 5, 5); err == nil {
		t.Error("setLimit(read) on Graph = nil, want an error: Graph's reads are not limited that way")
	}
}
