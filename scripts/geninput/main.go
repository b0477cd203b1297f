// Command geninput writes a realistic bulkassign input file for benchmarks and demos:
// users as user principal names, E3 assignments, E3-to-E5 swaps, E5 with excluded
// service plans, removals and Minecraft (license group 2) rows, across one or more
// customers.
//
//	go run ./scripts/geninput -rows 1000000 -out /tmp/in.csv
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// customerIDs are the customers the -customers flag picks from, in order.
var customerIDs = []string{
	"0c39d6d5-c70d-4c55-bc02-f620844f3fd1",
	"3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d",
	"7e5f1a2b-8c9d-4e0f-a1b2-c3d4e5f60718",
	"b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "geninput:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("geninput", flag.ContinueOnError)
	rows := fs.Int("rows", 1000, "number of data rows")
	out := fs.String("out", "-", "output file; - for standard output")
	customers := fs.Int("customers", 1, fmt.Sprintf("number of customers in the customer column (0 leaves the column out; at most %d)", len(customerIDs)))
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 0 {
		return errors.New("-rows must not be negative")
	}
	if *customers < 0 || *customers > len(customerIDs) {
		return fmt.Errorf("-customers must be between 0 and %d", len(customerIDs))
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("close output: %w", cerr)
			}
		}()
		w = f
	}
	return plannertest.WriteCSV(w, plannertest.GenConfig{
		Rows:      *rows,
		Customers: customerIDs[:*customers],
		Seed:      *seed,
	})
}
