"""Block Kit identifiers shared by the builders (which emit them) and the listeners (which match them)."""

UNDO_ASK = "ask_undo"
LOG_ASK_OUTCOME = "ask_log_outcome"
OPEN_ASK_MODAL = "ask_open_modal"

ASK_MODAL = "ask_modal"
ASK_OUTCOME_MODAL = "ask_outcome_modal"

# Input blocks of the ask modal: block_id doubles as the key for inline errors.
ASK_USER_BLOCK, ASK_USER_ACTION = "asked_user", "asked_user_select"
ASK_NAME_BLOCK, ASK_NAME_ACTION = "asked_name", "asked_name_input"
ASK_FOR_BLOCK, ASK_FOR_ACTION = "for_whom", "for_whom_input"
ASK_DATE_BLOCK, ASK_DATE_ACTION = "asked_on", "asked_on_picker"

OUTCOME_BLOCK, OUTCOME_ACTION = "outcome", "outcome_choice"
PROSPECT_BLOCK, PROSPECT_ACTION = "prospect", "prospect_input"

SNOOZE_WEEK = "nudge_snooze_week"

OPEN_COMMIT_MODAL = "commit_open_modal"
COMMIT_MODAL = "commit_modal"
COMMIT_USERS_BLOCK, COMMIT_USERS_ACTION = "commit_users", "commit_users_select"
COMMIT_NAMES_BLOCK, COMMIT_NAMES_ACTION = "commit_names", "commit_names_input"
MARK_THANKED = "referral_mark_thanked"

# Closing as lost or no decision asks for a one-line reason.
ADD_CLOSE_REASON = "referral_add_close_reason"
CLOSE_REASON_MODAL = "close_reason_modal"
CLOSE_REASON_BLOCK, CLOSE_REASON_ACTION = "close_reason", "close_reason_input"

# The pre-meeting checklist: one input block per question, "prep_<question key>".
OPEN_PREP_MODAL = "referral_open_prep"
PREP_MODAL = "prep_modal"
PREP_BLOCK_PREFIX, PREP_ACTION = "prep_", "prep_answer"

# The Home tab: a menu of next steps on each open referral, its value "<step>:<number>".
REFERRAL_MENU = "home_referral_menu"
MEETING_MODAL = "meeting_modal"
MEETING_DATE_BLOCK, MEETING_DATE_ACTION = "meeting_on", "meeting_on_picker"

# A won amount only the rep can settle ("€12.000"): each button's value is the whole command as JSON.
CHOOSE_AMOUNT = "referral_choose_amount"
# /referral forget: the admin confirms (or cancels) before anything is deleted.
FORGET_CONFIRM = "person_forget_confirm"
FORGET_CANCEL = "person_forget_cancel"
# Referral habits: the client follow-up's buttons, and the manager's preview.
OPEN_CLIENT_ASK = "client_followup_open_ask"
SNOOZE_CLIENT_FOLLOWUP = "client_followup_snooze"
# "Log as referral received", the message shortcut, and its form.
LOG_INTRO_SHORTCUT = "log_referral_received"
INTRO_MODAL = "intro_modal"
INTRO_PROSPECT_BLOCK, INTRO_PROSPECT_ACTION = "intro_prospect", "intro_prospect_input"
INTRO_COMPANY_BLOCK, INTRO_COMPANY_ACTION = "intro_company", "intro_company_input"
INTRO_REFERRER_USER_BLOCK, INTRO_REFERRER_USER_ACTION = "intro_referrer_user", "intro_referrer_user_select"
INTRO_REFERRER_NAME_BLOCK, INTRO_REFERRER_NAME_ACTION = "intro_referrer_name", "intro_referrer_name_input"
INTRO_DATE_BLOCK, INTRO_DATE_ACTION = "intro_date", "intro_date_picker"
INTRO_LINK_BLOCK, INTRO_LINK_ACTION = "intro_link", "intro_link_choice"
