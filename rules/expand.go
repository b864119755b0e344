package rules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	promrules "github.com/prometheus/prometheus/rules"
)

// This file turns pipewatch's extension keys into plain Prometheus rules,
// so that evaluation, alert state, `for`, `keep_firing_for`, templates,
// ALERTS series and the HTTP API are Prometheus's own:
//
//   - A forecast rule becomes a recording rule pipewatch_forecast_eta_seconds
//     {rule=<alert>} whose expression is a marker (see markerExpr) that the
//     evaluator's query function answers with the forecast, followed by the
//     alerting rule `pipewatch_forecast_eta_seconds{rule="<alert>"} <= <horizon>`.
//   - An anomaly rule likewise becomes pipewatch_anomaly_score{rule=<alert>}
//     and `... >= <threshold>` (above), `<= -<threshold>` (below) or both.
//   - recover rewrites the alert expression A into
//     A or (<keep> and ignoring(alertname, <rule labels>) <firing ALERTS>),
//     which keeps a firing alert active until the recovery condition holds.

// ruleDef is one Prometheus rule a RuleSpec expands into.
type ruleDef struct {
	record, alert       string
	expr                parser.Expr
	hold, keepFiringFor time.Duration
	labels, annotations labels.Labels
	// query answers the marker expression of a forecast or anomaly
	// recording rule; nil for every other rule.
	query querySpec
}

// markerLabel is the label name the marker expressions of forecast and
// anomaly recording rules set; it makes each marker unique and readable in
// /api/v1/rules. The marker is never run by the PromQL engine.
const (
	forecastMarker = "__pipewatch_forecast__"
	anomalyMarker  = "__pipewatch_anomaly__"
)

// expandGroup expands every rule of g.
func expandGroup(g GroupSpec, p parser.Parser) ([]ruleDef, error) {
	var (
		defs []ruleDef
		errs []error
	)
	for i, r := range g.Rules {
		d, err := expandRule(g, r, p)
		if err != nil {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			errs = append(errs, &FileError{Line: r.Line, Err: fmt.Errorf("group %q, rule %d, %q: %w", g.Name, i+1, name, err)})
			continue
		}
		defs = append(defs, d...)
	}
	return defs, errors.Join(errs...)
}

// expandRule returns the Prometheus rules r stands for.
func expandRule(g GroupSpec, r RuleSpec, p parser.Parser) ([]ruleDef, error) {
	expr, err := p.ParseExpr(r.Expr)
	if err != nil {
		return nil, fmt.Errorf("parse expr: %w", err)
	}
	ruleLabels := promrules.FromMaps(g.Labels, r.Labels)
	if r.Record != "" {
		return []ruleDef{{record: r.Record, expr: expr, labels: ruleLabels}}, nil
	}

	var defs []ruleDef
	alertExpr := expr
	recoverT, recoverIsNumber := parseNumber(r.Recover)
	switch {
	case r.Forecast != nil:
		if expr.Type() != parser.ValueTypeVector {
			return nil, errors.New("forecast expr must be an instant vector")
		}
		horizon := time.Duration(r.Forecast.Horizon)
		computeHorizon := horizon
		if recoverIsNumber && r.Recover != "" {
			// The ETA must be known as far ahead as the recovery
			// threshold reaches.
			computeHorizon = max(horizon, time.Duration(recoverT*float64(time.Second)))
		}
		q := newForecastQuery(expr, r.Forecast, computeHorizon)
		marker, err := markerExpr(p, expr, forecastMarker, r.Forecast.canonical(computeHorizon))
		if err != nil {
			return nil, err
		}
		defs = append(defs, ruleDef{
			record: ETAMetric,
			expr:   marker,
			labels: promrules.FromMaps(g.Labels, map[string]string{"rule": r.Alert}),
			query:  q,
		})
		alertExpr, err = p.ParseExpr(fmt.Sprintf("%s{rule=%s} <= %s", ETAMetric, strconv.Quote(r.Alert), formatFloat(horizon.Seconds())))
		if err != nil {
			return nil, fmt.Errorf("build forecast alert expression: %w", err)
		}
	case r.Anomaly != nil:
		if expr.Type() != parser.ValueTypeVector {
			return nil, errors.New("anomaly expr must be an instant vector")
		}
		q := newAnomalyQuery(expr, r.Anomaly)
		marker, err := markerExpr(p, expr, anomalyMarker, r.Anomaly.canonical())
		if err != nil {
			return nil, err
		}
		defs = append(defs, ruleDef{
			record: ScoreMetric,
			expr:   marker,
			labels: promrules.FromMaps(g.Labels, map[string]string{"rule": r.Alert}),
			query:  q,
		})
		sel := fmt.Sprintf("%s{rule=%s}", ScoreMetric, strconv.Quote(r.Alert))
		thr := formatFloat(r.Anomaly.threshold())
		var s string
		switch r.Anomaly.direction() {
		case "above":
			s = fmt.Sprintf("%s >= %s", sel, thr)
		case "below":
			s = fmt.Sprintf("%s <= -%s", sel, thr)
		default:
			s = fmt.Sprintf("%s >= %s or %s <= -%s", sel, thr, sel, thr)
		}
		alertExpr, err = p.ParseExpr(s)
		if err != nil {
			return nil, fmt.Errorf("build anomaly alert expression: %w", err)
		}
	}
	if r.Recover != "" {
		alertExpr, err = withRecover(p, r.Alert, alertExpr, r.Recover, ruleLabels)
		if err != nil {
			return nil, fmt.Errorf("recover: %w", err)
		}
	}
	annotations := r.Annotations
	ls := r.Labels
	if vars := templateVars(r); vars != "" {
		annotations = withVars(annotations, vars)
		ls = withVars(ls, vars)
	}
	defs = append(defs, ruleDef{
		alert:         r.Alert,
		expr:          alertExpr,
		hold:          time.Duration(r.For),
		keepFiringFor: time.Duration(r.KeepFiringFor),
		labels:        promrules.FromMaps(g.Labels, ls),
		annotations:   labels.FromMap(annotations),
	})
	return defs, nil
}

// markerExpr returns label_replace(expr, marker, spec, "", ""): valid
// PromQL whose text names the rule's parameters, used as the query of a
// forecast or anomaly recording rule.
func markerExpr(p parser.Parser, expr parser.Expr, marker, spec string) (parser.Expr, error) {
	s := fmt.Sprintf("label_replace(%s, %q, %s, \"\", \"\")", expr.String(), marker, strconv.Quote(spec))
	e, err := p.ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("build marker expression: %w", err)
	}
	return e, nil
}

// parseNumber parses a recover value that is a plain number.
func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil
}

// comparison splits a filtering comparison with a number on one side into
// the other side and the operator as if that side were on the left.
func comparison(e parser.Expr) (lhs parser.Expr, op parser.ItemType, ok bool) {
	for {
		pe, isParen := e.(*parser.ParenExpr)
		if !isParen {
			break
		}
		e = pe.Expr
	}
	be, isBin := e.(*parser.BinaryExpr)
	if !isBin || be.ReturnBool || !be.Op.IsComparisonOperator() {
		return nil, 0, false
	}
	switch {
	case isNumber(be.RHS) && be.LHS.Type() == parser.ValueTypeVector:
		return be.LHS, be.Op, true
	case isNumber(be.LHS) && be.RHS.Type() == parser.ValueTypeVector:
		flip := map[parser.ItemType]parser.ItemType{
			parser.LSS: parser.GTR, parser.GTR: parser.LSS,
			parser.LTE: parser.GTE, parser.GTE: parser.LTE,
			parser.EQLC: parser.EQLC, parser.NEQ: parser.NEQ,
		}
		return be.RHS, flip[be.Op], true
	}
	return nil, 0, false
}

func isNumber(e parser.Expr) bool {
	switch n := e.(type) {
	case *parser.NumberLiteral:
		return true
	case *parser.ParenExpr:
		return isNumber(n.Expr)
	case *parser.UnaryExpr:
		return isNumber(n.Expr)
	}
	return false
}

// withRecover rewrites the alert expression a of alert name so that a
// firing alert stays active until rec holds; see the file comment.
func withRecover(p parser.Parser, name string, a parser.Expr, rec string, ruleLabels labels.Labels) (parser.Expr, error) {
	ignore := []string{labels.AlertName}
	ruleLabels.Range(func(l labels.Label) {
		if !slices.Contains(ignore, l.Name) {
			ignore = append(ignore, l.Name)
		}
	})
	ign := "ignoring(" + labelList(ignore) + ")"
	firing := fmt.Sprintf("count without(alertstate) (ALERTS{alertname=%s, alertstate=\"firing\"})", strconv.Quote(name))
	lhs, op, isCmp := comparison(a)

	var s string
	if t, ok := parseNumber(rec); ok {
		if !isCmp || op == parser.EQLC || op == parser.NEQ {
			return nil, errors.New("a recovery threshold needs an expr of the form `<vector> <, <=, > or >= <number>`; give a recovery expression instead")
		}
		s = fmt.Sprintf("(%s) or ((%s %s %s) %s (%s))", a, lhs, op, formatFloat(t), "and "+ign, firing)
	} else {
		r, err := p.ParseExpr(rec)
		if err != nil {
			return nil, fmt.Errorf("parse recovery expression: %w", err)
		}
		if r.Type() != parser.ValueTypeVector {
			return nil, errors.New("recovery expression must be an instant vector")
		}
		if isCmp {
			s = fmt.Sprintf("(%s) or (((%s) unless %s (%s)) and %s (%s))", a, lhs, ign, r, ign, firing)
		} else {
			s = fmt.Sprintf("(%s) or (((%s) unless %s (%s)) unless %s (%s))", a, firing, ign, a, ign, r)
		}
	}
	e, err := p.ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("build recovery expression: %w", err)
	}
	return e, nil
}

// labelList renders label names for a PromQL grouping clause, quoting the
// ones that are not legacy identifiers.
func labelList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if model.LegacyValidation.IsValidLabelName(n) {
			out[i] = n
		} else {
			out[i] = strconv.Quote(n)
		}
	}
	return strings.Join(out, ", ")
}
