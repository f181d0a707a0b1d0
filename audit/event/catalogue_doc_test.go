package event_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/event"
)

// CATALOGUE.md documents every action; this test keeps it equal to the code
// (UPDATE_GOLDEN=1 rewrites it).
func TestCatalogueIsDocumented(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString(`# The audit action catalogue

Generated from ` + "`audit/event/catalogue.go`" + ` by ` + "`UPDATE_GOLDEN=1 go test ./audit/event`" + `;
a test fails when the two differ. ` + "`event.code`" + ` is the success or the failure code;
ECS category and type are ECS 8.11 allowed values. Privileged actions are durable in
the trail before they take effect, and fail when they cannot be written. Retention:
` + "`standard`" + ` 365 days, ` + "`break_glass`" + ` 7 years by calendar date.

| action | codes (success / failure) | ECS category / type | retention |
|---|---|---|---|
`)
	for _, a := range event.Actions() {
		p := ""
		if a.Privileged {
			p = ", privileged"
		}
		fmt.Fprintf(&b, "| `%s` | %d / %d | %s / %s | %s%s |\n", a.Name, a.SuccessCode, a.FailureCode,
			strings.Join(a.Category, ", "), strings.Join(a.Type, ", "), a.Retention, p)
	}
	const path = "CATALOGUE.md"
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s differs from the catalogue; regenerate it with UPDATE_GOLDEN=1 go test ./audit/event", path)
	}
}
