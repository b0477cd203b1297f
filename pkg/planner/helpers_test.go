package planner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

const (
	custA = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"
	custB = "3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d"
	custC = "7e5f1a2b-8c9d-4e0f-a1b2-c3d4e5f60718"
)

// sampleCatalogue answers every customer with the sample SKUs.
func sampleCatalogue() *plannertest.Catalogue {
	return plannertest.NewCatalogue(plannertest.SampleSkus())
}

// buildWith plans in against cat.
func buildWith(t *testing.T, in string, cat planner.Catalogue, opts planner.Options) (*planner.Plan, error) {
	t.Helper()
	return planner.Build(context.Background(), strings.NewReader(in), cat, opts)
}

// mustPlan plans in against the sample catalogue with custA as the default customer
// and fails the test on any error.
func mustPlan(t *testing.T, in string) *planner.Plan {
	t.Helper()
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

// problems returns the problems of an *InputError, failing the test on any other result.
func problems(t *testing.T, p *planner.Plan, err error) []planner.Problem {
	t.Helper()
	var ie *planner.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Build error = %v (%T), want *InputError", err, err)
	}
	if p != nil {
		t.Errorf("Build returned a plan with an InputError")
	}
	return ie.Problems
}

func allRows(p *planner.Plan) []planner.Row {
	rows := make([]planner.Row, p.NumRows())
	for i := range rows {
		rows[i] = p.Row(i)
	}
	return rows
}

func allChanges(p *planner.Plan) []planner.Change {
	us := make([]planner.Change, p.NumChanges())
	for i := range us {
		us[i] = p.Change(i)
	}
	return us
}
