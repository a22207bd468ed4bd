//! Any bytes as a checkov YAML policy: reading it reports problems and never panics, and a
//! policy that reads judges a small deployment (references, blocks, maps, values known only
//! after apply) to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const TF: &str = r#"
variable "size" {
  default = "t3.large"
}
resource "aws_security_group" "web" {
  ingress {
    from_port   = 443
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    from_port   = 22
    cidr_blocks = ["0.0.0.0/0", "10.0.0.0/8"]
  }
}
resource "aws_instance" "app" {
  instance_type          = var.size
  vpc_security_group_ids = [aws_security_group.web.id]
  tags = {
    env  = "prod"
    Name = data.aws_ssm_parameter.name.value
  }
  root_block_device {
    encrypted = true
  }
}
resource "aws_db_instance" "main" {
  kms_key_id              = aws_kms_key.db.arn
  backup_retention_period = 7
}
resource "aws_kms_key" "db" {
  description = "db"
}
"#;

static MODEL: OnceLock<Option<liftoff::model::Deployment>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let model = MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().ok()?;
        std::fs::write(dir.path().join("main.tf"), TF).ok()?;
        liftoff::sources::load(dir.path()).ok().map(|l| l.deployment)
    });
    let Some(model) = model else { return };
    let Some(today) = liftoff::model::Date::new(2030, 1, 1) else { return };
    let params = liftoff::rules::Params::default();
    let cx = liftoff::rules::Context { model, params: &params, today, offline: true, prior: &[], shared: &Default::default() };
    let _ = liftoff::rules::custom::checkov::try_policy("fuzz.yaml", text, &cx);
});
