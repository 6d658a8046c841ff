package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// specWith is a minimal valid spec whose one operation's body schema has the given property.
func specWith(t *testing.T, property string) string {
	t.Helper()
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /v1/x:
    post:
      operationId: x
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                p: ` + property + `
      responses:
        "200": {description: ok}
`
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRefusesWhatTheMockCannotCheck: every keyword, format or type outside reqcheck.Schema
// fails generation with the place and the keyword, so no rule of the spec is silently dropped.
func TestRefusesWhatTheMockCannotCheck(t *testing.T) {
	for _, c := range []struct{ property, want string }{
		{`{type: string, pattern: "^a"}`, "Pattern"},
		{`{type: object, additionalProperties: false}`, "AdditionalProperties"},
		{`{type: string, format: date-time}`, `format "date-time"`},
		{`{type: number, format: double}`, `format "double"`},
		{`{type: array, items: {type: string}}`, "the type must be one of"},
		{`{type: integer, multipleOf: 2}`, "MultipleOf"},
		{`{type: string, readOnly: true}`, "ReadOnly"},
		{`{oneOf: [{type: string}, {type: integer}]}`, "the type must be one of"},
		{`{type: integer, enum: [1, 2]}`, "only string enums"},
		{`{type: object, required: [q], properties: {r: {type: string}}}`, `required property "q" is not declared`},
	} {
		_, err := generate(specWith(t, c.property), "", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "POST /v1/x body.p") {
			t.Errorf("%s: got %v, want an error at POST /v1/x body.p naming %q", c.property, err, c.want)
		}
	}
}

// TestCompilesWhatTheMockChecks: the supported keywords come out as Schema fields.
func TestCompilesWhatTheMockChecks(t *testing.T) {
	src, err := generate(specWith(t, `{type: object, required: [a], properties: {a: {type: string, format: uuid, minLength: 1, maxLength: 36, nullable: true}, b: {type: integer, format: int32, minimum: 1, maximum: 9}, c: {type: string, enum: [X, Y]}}}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ID: "x"`, `Method: "POST"`, `Path: "/v1/x"`, `Body: &Body{Required: true`,
		`"a": &Schema{Type: "string", Format: "uuid", Nullable: true, MinLength: 1, HasMaxLength: true, MaxLength: 36}`,
		`"b": &Schema{Type: "integer", Format: "int32", HasMinimum: true, Minimum: 1, HasMaximum: true, Maximum: 9}`,
		`"c": &Schema{Type: "string", Enum: []string{"X", "Y"}}`,
		`PropertyNames: []string{"a", "b", "c"}`, `Required: []string{"a"}`,
	} {
		if !strings.Contains(strings.Join(strings.Fields(string(src)), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("generated code lacks %s:\n%s", want, src)
		}
	}
}
