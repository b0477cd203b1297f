package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"
)

// ReadRollback reads a rollback file back, of either header (RollbackHeader or
// RollbackHeaderV1, whose rows have no Lines or names), with its cells' formula
// neutralisation undone. A last line without its newline (torn by a crash) is
// dropped; a missing file is an error that is fs.ErrNotExist.
func ReadRollback(path string) ([]RollbackRow, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, unwrapPath(err))
	}
	rows, err := parseRollback(data[:bytes.LastIndexByte(data, '\n')+1])
	if err != nil {
		return nil, fmt.Errorf("read rollback file %s: %w", path, err)
	}
	return rows, nil
}

// parseRollback parses the complete lines of a rollback file.
func parseRollback(data []byte) ([]RollbackRow, error) {
	hr := csv.NewReader(bytes.NewReader(data))
	hr.FieldsPerRecord = -1
	header, err := hr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !slices.Equal(header, RollbackHeaderV1) && !slices.Equal(header, RollbackHeader) {
		return nil, fmt.Errorf("it is not a bulkassign rollback file (its header is not %q)%s", strings.Join(RollbackHeader, ","), resavedHint(data))
	}
	// gocsv reads the header again, now that it is known to be one of the two exactly:
	// the columns of the older header are some of rollbackRecord's, whose others it
	// leaves empty.
	cr := newRecordReader(bytes.NewReader(data), len(header))
	um, err := gocsv.NewUnmarshaller(cr, (*rollbackRecord)(nil))
	if err != nil {
		return nil, err
	}
	var rows []RollbackRow
	prev := cr.InputOffset() // where the record being read starts (blank lines aside)
	for {
		out, err := um.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if perr := (*csv.ParseError)(nil); errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount) {
			return nil, fmt.Errorf("line %d: %d fields, want %d", perr.StartLine,
				countFields(data[prev:cr.InputOffset()]), len(header))
		}
		if err != nil {
			return nil, err
		}
		prev = cr.InputOffset()
		line, _ := cr.FieldPos(0)
		row, err := out.(*rollbackRecord).row()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, row)
	}
}

// row turns the cells of one rollback row into a RollbackRow, its cells' formula
// neutralisation undone.
func (rec *rollbackRecord) row() (RollbackRow, error) {
	row := RollbackRow{Customer: uncell(rec.Customer), User: uncell(rec.User), Sku: uncell(rec.Sku),
		SkuName: uncell(rec.SkuName), RemoveSku: uncell(rec.RemoveSku), RemoveSkuName: uncell(rec.RemoveSkuName),
		ExcludedPlans: splitList(uncell(rec.ExcludedPlans))}
	for _, s := range splitList(uncell(rec.Lines)) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return RollbackRow{}, fmt.Errorf("line %q is not a whole number", s)
		}
		row.Lines = append(row.Lines, n)
	}
	return row, nil
}

// splitList splits a ';'-separated cell, trimming and dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
