from email import message_from_bytes, policy

from django.core.mail import EmailMultiAlternatives

from newsroom.mail import OutboxBackend


def test_outbox_backend_writes_one_eml_per_message(tmp_path):
    connection = OutboxBackend(outbox_dir=tmp_path)
    message = EmailMultiAlternatives(
        "مرحباً", "نص الرسالة", "news@news.example", ["reader@example.com"], connection=connection
    )
    message.attach_alternative("<p dir='rtl'>نص الرسالة</p>", "text/html")
    assert message.send() == 1
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "مرحباً" and parsed["To"] == "reader@example.com"
    assert parsed.get_body(("plain",)).get_content().strip() == "نص الرسالة"
    assert "dir='rtl'" in parsed.get_body(("html",)).get_content()
