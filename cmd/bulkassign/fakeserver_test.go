package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
)

func TestFakeServerServesPartnerCenterOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	m := &Main{Stdout: &stdout, Stderr: &stderr}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		cmd := &FakeServerCommand{main: m, ready: func(addr string) { addrc <- addr }}
		done <- cmd.Run(ctx, []string{"--addr", "127.0.0.1:0", "--token", "fake-server-token"})
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("fake-server stopped: %v", err)
	}
	c, err := client.New(client.WithBaseURL("http://"+addr+"/"),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fake-server-token"})))
	if err != nil {
		t.Fatal(err)
	}
	skus, _, err := c.GetSubscribedSkus(ctx, testCustomer, client.Group1, client.Group2)
	if err != nil {
		t.Fatal(err)
	}
	if len(skus) != 6 {
		t.Fatalf("%d SKUs, want the sample catalogue's 6", len(skus))
	}
	_, _, err = c.UpdateLicenses(ctx, testCustomer, "ann@contoso.com", client.LicenseUpdate{
		LicensesToAssign: []client.LicenseAssignment{{SkuID: skuE3}}})
	if err != nil {
		t.Fatal(err)
	}
	// The wrong token is refused.
	bad, _ := client.New(client.WithBaseURL("http://"+addr+"/"),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "wrong"})))
	_, _, err = bad.GetSubscribedSkus(ctx, testCustomer)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("wrong token: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("fake-server: %v", err)
	}
	out := stdout.String()
	if !strings.Contains(out, "http://"+addr+"/") || !strings.Contains(out, "1 POSTs applied") {
		t.Fatalf("stdout %q", out)
	}
	if strings.Contains(out, "fake-server-token") {
		t.Fatal("the configured token was printed")
	}
}
