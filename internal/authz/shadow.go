package authz

import "go.uber.org/zap"

// reportDisagreement logs and counts a request on which the shadow set
// decides differently. An allow in shadow where enforcement denies is a
// warning (the candidate would open access); the reverse is informational
// (the candidate would break access someone has today).
func (a *Authorizer) reportDisagreement(d *Decision) {
	if a.cfg.ShadowDisagreements != nil {
		a.cfg.ShadowDisagreements.Inc()
	}
	log := a.cfg.Logger.Info
	if d.Shadow.Allowed {
		log = a.cfg.Logger.Warn
	}
	log("cedar shadow policies disagree",
		zap.String("decision_id", d.ID),
		zap.String("action", d.Action),
		zap.String("resource", d.Resource),
		zap.String("enforced", d.Outcome()),
		zap.Strings("enforced_policies", d.Policies),
		zap.String("shadow", outcome(d.Shadow.Allowed)),
		zap.Strings("shadow_policies", d.Shadow.Policies),
		zap.Strings("shadow_errors", d.Shadow.Errors))
}

func outcome(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}
