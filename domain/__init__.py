"""Referral-selling rules: weeks, KPIs, command grammar, coaching. No Slack or SQL imports here."""
