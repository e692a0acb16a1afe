package chargedesk

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// newValidator builds the one validator a Handler uses: rules come from the
// request types' `validate` tags, and errors name fields by their JSON names.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// Registration fails only for an empty tag or a nil function.
	_ = v.RegisterValidation("currency", func(fl validator.FieldLevel) bool {
		return validCurrency(fl.Field().String())
	})
	return v
}

// ruledFields holds the Go names of the fields that carry validation rules,
// in any request type or the objects they hold. The validator visits only
// those: it would otherwise box every one of a charge's 55 fields through
// reflect.Value.Interface to look for a Valuer, at an allocation each.
var ruledFields = func() map[string]bool {
	var types []reflect.Type
	for _, def := range actionTable {
		types = append(types, reflect.TypeOf(def.newRequest()))
	}
	return fieldsWithRules(types...)
}()

func fieldsWithRules(types ...reflect.Type) map[string]bool {
	names := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Tag.Get("validate") != "" {
				names[f.Name] = true
				walk(f.Type)
			}
		}
	}
	for _, t := range types {
		walk(t)
	}
	return names
}

// skipUnruled is the validator's filter: it skips a field (namespace
// "RefundRequest.Charge.Amount") unless its name carries rules.
func skipUnruled(ns []byte) bool {
	if i := bytes.LastIndexByte(ns, '.'); i >= 0 {
		ns = ns[i+1:]
	}
	return !ruledFields[string(ns)]
}

func validCurrency(code string) bool {
	_, ok := currencyScale(code)
	return ok
}

// invalid returns the 422 refusal with msg for the agent.
func invalid(format string, args ...any) error {
	return &requestError{kind: refusedInvalid, message: fmt.Sprintf(format, args...)}
}

// validateStruct runs the tag rules and words the first failure for the
// agent, naming the field by its JSON path ("plans[0].quantity").
func validateStruct(v *validator.Validate, req any) error {
	err := v.StructFiltered(req, skipUnruled)
	if err == nil {
		return nil
	}
	var fields validator.ValidationErrors
	if !errors.As(err, &fields) || len(fields) == 0 {
		return invalid("The webhook could not be validated: %v", err)
	}
	fe := fields[0]
	name := fe.Namespace()
	if _, rest, ok := strings.Cut(name, "."); ok {
		name = rest // drop the request type's name
	}
	switch fe.Tag() {
	case "required":
		return invalid("%s is required.", name)
	case "required_unless":
		return invalid("%s is required when %s.", name, describeUnless(fe.Param()))
	case "oneof":
		return invalid("%s must be one of %s.", name, strings.ReplaceAll(fe.Param(), " ", ", "))
	case "max":
		// Only a list has a max rule: EditPlansRequest.Plans.
		return invalid("%s lists %d %s; at most %s are accepted.", name, reflect.ValueOf(fe.Value()).Len(), name, fe.Param())
	case "min":
		if fe.Kind() == reflect.Slice {
			if fe.Param() == "1" {
				return invalid("%s must not be empty.", name)
			}
			return invalid("%s must list at least %s entries.", name, fe.Param())
		}
		return invalid("%s must be at least %s, not %v.", name, fe.Param(), fe.Value())
	case "currency":
		return invalid("%s is not an ISO 4217 currency code.", name)
	}
	return invalid("%s is not valid (%s).", name, fe.Tag())
}

func describeUnless(param string) string {
	field, value, _ := strings.Cut(param, " ")
	return fmt.Sprintf("%s is not %s", strings.ToLower(field), value)
}

// checkCharge applies the money rules to a charge ChargeDesk sent: amounts
// not negative, no finer than the currency, and no more refunded than paid.
func checkCharge(field string, c *Charge) error {
	if c == nil {
		return nil
	}
	scale, _ := currencyScale(c.Currency) // the currency tag has checked it
	for _, a := range []struct {
		name string
		v    Amount
	}{{"amount", c.Amount}, {"amount_refunded", c.AmountRefunded}, {"added_tax", c.AddedTax}} {
		if err := checkPayloadAmount(field+"."+a.name, a.v, scale, c.Currency); err != nil {
			return err
		}
	}
	if c.AmountRefunded.Cmp(c.Amount.Decimal) > 0 {
		return invalid("%s.amount_refunded (%s) is more than %s.amount (%s).", field, c.AmountRefunded, field, c.Amount)
	}
	return nil
}

// checkSubscription applies the money rules to a subscription.
func checkSubscription(field string, s *Subscription) error {
	if s == nil {
		return nil
	}
	scale, known := currencyScale(s.Currency)
	if !known {
		scale = -1
	}
	for _, a := range []struct {
		name string
		v    Amount
	}{{"amount", s.Amount}, {"setup_amount", s.SetupAmount}} {
		if err := checkPayloadAmount(field+"."+a.name, a.v, scale, s.Currency); err != nil {
			return err
		}
	}
	return nil
}

// checkPayloadAmount refuses a negative amount, or one with more decimal
// places than the currency allows (scale < 0: currency unknown, not checked).
func checkPayloadAmount(field string, a Amount, scale int32, currency string) error {
	if a.IsNeg() {
		return invalid("%s must not be negative, not %s.", field, a)
	}
	if scale >= 0 {
		if err := checkScale(a, scale, currency); err != nil {
			return invalid("%s %s.", field, err)
		}
	}
	return nil
}

// MaxPlans is the most plans an edit plans webhook may list; more is
// refused with 422 rather than validated entry by entry (the tag on
// EditPlansRequest.Plans says so too).
const MaxPlans = 1000

// validateRequest checks a decoded request of any action: its tags, then
// its own rules.
func validateRequest(v *validator.Validate, req request) error {
	if err := validateStruct(v, req); err != nil {
		return err
	}
	return req.check()
}
