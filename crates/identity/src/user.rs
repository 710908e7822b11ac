use crate::password::{generate_password, hash_password};
use crate::IdentityError;
use egov_audit::Event;
use egov_kernel::{time, Context};
use egov_store::{run, Db};
use secrecy::SecretString;

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: SecretString,
    pub is_admin: bool,
    pub must_change_password: bool,
}

/// Creates a staff account. The password is hashed before the transaction
/// opens, so the write lock is held only for the insert.
pub async fn create_user(db: &Db, ctx: &Context, new: NewUser) -> Result<i64, IdentityError> {
    let username = new.username.trim().to_owned();
    let valid = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if !valid {
        return Err(IdentityError::Invalid(
            "user name must be 3-32 letters, digits, '.', '_' or '-'",
        ));
    }
    let hash = hash_password(new.password).await;
    let mut tx = db.begin().await?;
    let inserted: Result<i64, sqlx::Error> = run!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO users (username, display_name, kind, password_hash, must_change_password, \
         is_admin, created_at) VALUES ($1, $2, 'staff', $3, $4, $5, $6) RETURNING id"
    )
    .bind(&username)
    .bind(new.display_name.trim())
    .bind(&hash)
    .bind(new.must_change_password)
    .bind(new.is_admin)
    .bind(time::now())
    .fetch_one(&mut *c)
    .await
    });
    let id = match inserted {
        Err(e) if egov_store::is_unique_violation(&e) => {
            return Err(IdentityError::UsernameTaken(username))
        }
        other => other?,
    };
    egov_audit::append(
        &mut tx,
        ctx,
        Event {
            action: "user.create",
            object_type: "user",
            object_id: &id.to_string(),
            detail: serde_json::json!({ "username": username, "is_admin": new.is_admin }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The first administrator's one-time credentials, shown once at first start.
pub struct FirstAdmin {
    pub username: String,
    pub password: SecretString,
}

pub const FIRST_ADMIN_USERNAME: &str = "admin";

/// Creates the first administrator when there is none. Returns the
/// credentials only when it created them, so they are printed exactly once.
pub async fn ensure_first_admin(db: &Db) -> Result<Option<FirstAdmin>, IdentityError> {
    let mut r = db.reader().await?;
    let admins: i64 = run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE is_admin = TRUE"
    )
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    if admins > 0 {
        return Ok(None);
    }
    let password = generate_password();
    create_user(
        db,
        &Context::system(),
        NewUser {
            username: FIRST_ADMIN_USERNAME.to_owned(),
            display_name: "系统管理员".to_owned(),
            password: SecretString::from(password.clone()),
            is_admin: true,
            must_change_password: true,
        },
    )
    .await?;
    Ok(Some(FirstAdmin {
        username: FIRST_ADMIN_USERNAME.to_owned(),
        password: SecretString::from(password),
    }))
}

/// Replaces a user's password after checking the current one, clears the
/// must-change flag, and ends the user's other sessions.
pub async fn change_password(
    db: &Db,
    ctx: &Context,
    user_id: i64,
    current: SecretString,
    new_password: SecretString,
) -> Result<(), IdentityError> {
    use secrecy::ExposeSecret;
    let len = new_password.expose_secret().chars().count();
    if !(12..=128).contains(&len) {
        return Err(IdentityError::Invalid("password must be 12-128 characters"));
    }
    let mut r = db.reader().await?;
    let phc: String = run!(r, |c| sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE id = $1"
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await)?;
    drop(r);
    if !crate::verify_password(current, phc).await {
        return Err(IdentityError::WrongPassword);
    }
    let hash = hash_password(new_password).await;
    let mut tx = db.begin().await?;
    run!(tx, |c| sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2"
    )
    .bind(&hash)
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    egov_audit::append(
        &mut tx,
        ctx,
        Event {
            action: "user.change_password",
            object_type: "user",
            object_id: &user_id.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn count_users(db: &Db) -> Result<i64, IdentityError> {
    let mut r = db.reader().await?;
    Ok(run!(r, |c| sqlx::query_scalar(
        "SELECT count(*) FROM users"
    )
    .fetch_one(&mut *c)
    .await)?)
}
