package partnercenter_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// pageUsers is the users of one listing page at the size the backend asks for.
const pageUsers = partnercenter.DefaultUserPageSize

// BenchmarkUsersPage measures the users-page decoder: one page of Partner Center's
// users listing (500 users, as pcfake answers it, byte for byte) through the backend's
// ListUsers (the planner's listing path: the page decoded and its users made into
// client.User) and through the client's ListUsersPages. The transport hands the page
// over from memory, so the figures are the client's own: the HTTP plumbing, the
// decoding and the conversion. One op is one page; ns/user and allocs per page
// (-benchmem) are the figures to compare.
//
//	go test -run '^$' -bench BenchmarkUsersPage -benchmem ./pkg/client/partnercenter/
func BenchmarkUsersPage(b *testing.B) {
	page := usersPage(b)
	opts := []client.Option{
		client.WithBaseURL("https://pc.test/"),
		client.WithHTTPClient(&http.Client{Transport: clienttest.Canned(http.StatusOK, clienttest.JSON(), page)}),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})),
	}
	ctx := context.Background()
	b.Run("Backend.ListUsers", func(b *testing.B) {
		be, err := partnercenter.NewBackend(opts...)
		if err != nil {
			b.Fatal(err)
		}
		benchPages(b, len(page), func() int {
			n := 0
			err := be.ListUsers(ctx, pcfake.DefaultCustomerID, false, func(us []client.User) error {
				n += len(us)
				if len(us) > 0 && us[0].ID == "" {
					b.Fatal("a listed user has no ID")
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
	b.Run("Client.ListUsersPages", func(b *testing.B) {
		c, err := partnercenter.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		benchPages(b, len(page), func() int {
			n := 0
			if _, err := c.ListUsersPages(ctx, pcfake.DefaultCustomerID, 0, func(us []partnercenter.User) error {
				n += len(us)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
}

// benchPages runs list once per op, checks it saw one page's users, and reports the
// figures per user.
func benchPages(b *testing.B, pageBytes int, list func() int) {
	b.SetBytes(int64(pageBytes))
	b.ReportAllocs()
	for b.Loop() {
		if n := list(); n != pageUsers {
			b.Fatalf("listed %d users, want %d", n, pageUsers)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pageUsers), "ns/user")
}

// usersPage is the body pcfake answers for a customer of pageUsers generated users
// listed pageUsers a page: one page, without a next link.
func usersPage(b *testing.B) []byte {
	b.Helper()
	fake, err := pcfake.New(
		pcfake.WithCustomer(pcfake.DefaultCustomerID, nil),
		pcfake.WithUsers(pcfake.DefaultCustomerID, pcfake.GenerateUsers(pageUsers, "contoso.onmicrosoft.com", 1)),
	)
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "https://pc.test/v1/customers/"+pcfake.DefaultCustomerID+"/users?size=500", nil)
	req.Header.Set("Authorization", "Bearer bench-token")
	fake.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"next"`)) {
		b.Fatalf("the fake's users page: %d, %.300s", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}
