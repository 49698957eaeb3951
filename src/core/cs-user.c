/* cs-user.c: accounts, roles, and validation of what people type. */
#include "config.h"

#include <string.h>

#include "cs-user.h"
#include "cs-util.h"

/* Helpers */

static const char * const role_names[] = {
  [CS_ROLE_BACKER] = "backer",
  [CS_ROLE_MODERATOR] = "moderator",
  [CS_ROLE_ADMIN] = "admin",
};

static gboolean
is_ascii_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A copy of @s without leading and trailing ASCII white space. */
static char *
trimmed_copy (const char *s)
{
  const char *start = s;
  const char *end = s + strlen (s);

  while (start < end && is_ascii_space (*start))
    start++;
  while (end > start && is_ascii_space (end[-1]))
    end--;
  return g_strndup (start, end - start);
}

/* Whether @a and @b are equal ignoring case (both valid UTF-8). */
static gboolean
utf8_equal_nocase (const char *a, const char *b)
{
  g_autofree char *fa = g_utf8_casefold (a, -1);
  g_autofree char *fb = g_utf8_casefold (b, -1);

  return strcmp (fa, fb) == 0;
}

static gboolean
email_domain_is_valid (const char *domain)
{
  gsize len = strlen (domain);

  if (len == 0 || strchr (domain, '.') == NULL)
    return FALSE;
  if (domain[0] == '.' || domain[len - 1] == '.' || strstr (domain, "..") != NULL)
    return FALSE;
  return TRUE;
}

/* Public API */

const char *
cs_role_to_string (CsRole role)
{
  if ((guint) role >= G_N_ELEMENTS (role_names))
    return "backer";
  return role_names[role];
}

gboolean
cs_role_from_string (const char *text, CsRole *out)
{
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (strcmp (text, role_names[i]) == 0)
      {
        if (out != NULL)
          *out = (CsRole) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
cs_role_is_staff (CsRole role)
{
  return role == CS_ROLE_MODERATOR || role == CS_ROLE_ADMIN;
}

CsUser *
cs_user_new (void)
{
  CsUser *user = g_new0 (CsUser, 1);

  user->role = CS_ROLE_BACKER;
  return user;
}

CsUser *
cs_user_copy (const CsUser *user)
{
  CsUser *copy;

  if (user == NULL)
    return NULL;

  copy = g_new0 (CsUser, 1);
  *copy = *user;
  copy->id = g_strdup (user->id);
  copy->email = g_strdup (user->email);
  copy->username = g_strdup (user->username);
  copy->display_name = g_strdup (user->display_name);
  copy->bio = g_strdup (user->bio);
  return copy;
}

void
cs_user_free (CsUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->email);
  g_free (user->username);
  g_free (user->display_name);
  g_free (user->bio);
  g_free (user);
}

void
cs_user_write_json (const CsUser *user, CsJsonWriter *w, gboolean include_private)
{
  g_return_if_fail (user != NULL);
  g_return_if_fail (w != NULL);

  cs_json_writer_begin_object (w);
  cs_json_writer_member_string (w, "id", user->id);
  cs_json_writer_member_string (w, "username", user->username);
  cs_json_writer_member_string (w, "display_name",
                                user->display_name != NULL ? user->display_name : user->username);
  cs_json_writer_member_string (w, "bio", user->bio);
  cs_json_writer_member_time (w, "created_at", user->created_at);
  if (include_private)
    {
      cs_json_writer_member_string (w, "email", user->email);
      cs_json_writer_member_string (w, "role", cs_role_to_string (user->role));
      cs_json_writer_member_bool (w, "suspended", user->suspended);
      cs_json_writer_member_time (w, "updated_at", user->updated_at);
    }
  cs_json_writer_end_object (w);
}

CsUser *
cs_user_from_json (JsonObject *obj, GError **error)
{
  g_autoptr(CsUser) user = NULL;
  const char *id = cs_json_get_string_or (obj, "id", NULL);
  const char *username = cs_json_get_string_or (obj, "username", NULL);
  const char *display_name;
  const char *role;

  if (id == NULL || username == NULL)
    {
      g_set_error (error, CS_ERROR, CS_ERROR_MALFORMED,
                   "The user object has no %s", id == NULL ? "id" : "username");
      return NULL;
    }

  user = cs_user_new ();
  user->id = g_strdup (id);
  user->username = g_strdup (username);
  display_name = cs_json_get_string_or (obj, "display_name", NULL);
  user->display_name = g_strdup (display_name != NULL && *display_name != '\0' ? display_name : username);
  user->bio = g_strdup (cs_json_get_string_or (obj, "bio", NULL));
  user->email = g_strdup (cs_json_get_string_or (obj, "email", NULL));
  role = cs_json_get_string_or (obj, "role", NULL);
  if (role == NULL || !cs_role_from_string (role, &user->role))
    user->role = CS_ROLE_BACKER;
  user->suspended = cs_json_get_bool_or (obj, "suspended", FALSE);
  user->created_at = cs_json_get_time (obj, "created_at");
  user->updated_at = cs_json_get_time (obj, "updated_at");
  return g_steal_pointer (&user);
}

gboolean
cs_validate_email (const char *email, const char *field, CsValidation *v)
{
  g_autofree char *trimmed = NULL;
  const char *at;
  gsize local_len;

  g_return_val_if_fail (field != NULL && v != NULL, FALSE);

  if (email == NULL || *email == '\0')
    {
      cs_validation_add (v, field, "is required");
      return FALSE;
    }
  if (!cs_text_is_clean (email, FALSE))
    goto invalid;

  trimmed = trimmed_copy (email);
  if (cs_text_length (trimmed) > 254)
    {
      cs_validation_add (v, field, "must be at most 254 characters");
      return FALSE;
    }

  at = strchr (trimmed, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    goto invalid;
  for (const char *p = trimmed; *p != '\0'; p++)
    if (is_ascii_space (*p))
      goto invalid;
  local_len = at - trimmed;
  if (local_len == 0 || local_len > 64)
    goto invalid;
  if (!email_domain_is_valid (at + 1))
    goto invalid;
  return TRUE;

invalid:
  cs_validation_add (v, field, "is not a valid e-mail address");
  return FALSE;
}

gboolean
cs_validate_username (const char *username, const char *field, CsValidation *v)
{
  gsize len;

  g_return_val_if_fail (field != NULL && v != NULL, FALSE);

  if (username == NULL || *username == '\0')
    {
      cs_validation_add (v, field, "is required");
      return FALSE;
    }

  for (const char *p = username; *p != '\0'; p++)
    {
      char c = *p;

      if (!g_ascii_isalnum (c) && c != '_' && c != '-')
        {
          cs_validation_add (v, field, "may only contain letters, digits, “_” and “-”");
          return FALSE;
        }
    }

  len = strlen (username);
  if (len < 3)
    {
      cs_validation_add (v, field, "must be at least 3 characters");
      return FALSE;
    }
  if (len > 30)
    {
      cs_validation_add (v, field, "must be at most 30 characters");
      return FALSE;
    }
  if (!g_ascii_isalnum (username[0]))
    {
      cs_validation_add (v, field, "must start with a letter or a digit");
      return FALSE;
    }
  return TRUE;
}

gboolean
cs_validate_password (const char *password, const char *username, const char *email,
                      const char *field, CsValidation *v)
{
  glong len;
  gboolean all_same = TRUE;
  gunichar first;

  g_return_val_if_fail (field != NULL && v != NULL, FALSE);

  if (password == NULL || *password == '\0')
    {
      cs_validation_add (v, field, "is required");
      return FALSE;
    }
  if (!g_utf8_validate (password, -1, NULL))
    {
      cs_validation_add (v, field, "must be valid text");
      return FALSE;
    }

  len = g_utf8_strlen (password, -1);
  if (len < 10)
    {
      cs_validation_add (v, field, "must be at least 10 characters");
      return FALSE;
    }
  if (len > 256)
    {
      cs_validation_add (v, field, "must be at most 256 characters");
      return FALSE;
    }

  first = g_utf8_get_char (password);
  for (const char *p = g_utf8_next_char (password); *p != '\0'; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) != first)
      {
        all_same = FALSE;
        break;
      }
  if (all_same)
    {
      cs_validation_add (v, field, "must not be one character repeated");
      return FALSE;
    }

  if (username != NULL && g_utf8_validate (username, -1, NULL) &&
      utf8_equal_nocase (password, username))
    {
      cs_validation_add (v, field, "must not be the same as the username");
      return FALSE;
    }
  if (email != NULL && g_utf8_validate (email, -1, NULL))
    {
      g_autofree char *trimmed = trimmed_copy (email);

      if (utf8_equal_nocase (password, trimmed) || utf8_equal_nocase (password, email))
        {
          cs_validation_add (v, field, "must not be the same as the e-mail address");
          return FALSE;
        }
    }
  return TRUE;
}

char *
cs_email_normalize (const char *email)
{
  g_autofree char *trimmed = NULL;

  if (email == NULL)
    return NULL;
  trimmed = trimmed_copy (email);
  if (!g_utf8_validate (trimmed, -1, NULL))
    return g_ascii_strdown (trimmed, -1);
  return g_utf8_strdown (trimmed, -1);
}
