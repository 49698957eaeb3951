/* cs-user.h: accounts and roles. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cs-json.h"

G_BEGIN_DECLS

typedef enum {
  CS_ROLE_BACKER,     /* every account; a creator is a backer who started a campaign */
  CS_ROLE_MODERATOR,
  CS_ROLE_ADMIN,
} CsRole;

const char *cs_role_to_string   (CsRole role);
gboolean    cs_role_from_string (const char *text, CsRole *out);
/* moderator or admin */
gboolean    cs_role_is_staff    (CsRole role);

typedef struct {
  char    *id;
  char    *email;
  char    *username;
  char    *display_name;   /* never NULL once loaded: defaults to username */
  char    *bio;            /* may be NULL */
  CsRole   role;
  gboolean suspended;
  gint64   created_at;
  gint64   updated_at;
} CsUser;

CsUser  *cs_user_new        (void);
CsUser  *cs_user_copy       (const CsUser *user);
void     cs_user_free       (CsUser *user);

/* Writes the user object.  @include_private adds email, role, suspended and
 * updated_at (the user themself and staff); the public form is id, username,
 * display_name, bio, created_at. */
void     cs_user_write_json (const CsUser *user, CsJsonWriter *w, gboolean include_private);
/* Reads a user object as written above (client side); NULL + CS_ERROR_MALFORMED
 * when id or username is missing. */
CsUser  *cs_user_from_json  (JsonObject *obj, GError **error);

/* Validation of what people type. Each adds a field error to @v and returns FALSE. */
gboolean cs_validate_email    (const char *email, const char *field, CsValidation *v);
gboolean cs_validate_username (const char *username, const char *field, CsValidation *v);
/* 10–256 characters, not all one character, not equal to the username/email. */
gboolean cs_validate_password (const char *password, const char *username, const char *email,
                               const char *field, CsValidation *v);

/* Normalises an e-mail for lookups: trims and lower-cases the whole address. */
char    *cs_email_normalize   (const char *email);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CsUser, cs_user_free)

G_END_DECLS
