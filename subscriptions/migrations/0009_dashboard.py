"""The dashboard's rolled-up numbers (daily and per digest) and the separate
permission to send digests."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0008_send_permission'),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyStat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(unique=True, verbose_name='day')),
                ('signups', models.PositiveIntegerField(default=0, verbose_name='signups')),
                ('confirmations', models.PositiveIntegerField(default=0, verbose_name='confirmations')),
                ('imports', models.PositiveIntegerField(default=0, verbose_name='imported with consent')),
                ('resubscribes', models.PositiveIntegerField(default=0, verbose_name='resubscribes')),
                ('unsubscribes', models.PositiveIntegerField(default=0, verbose_name='unsubscribes')),
                ('bounces', models.PositiveIntegerField(default=0, verbose_name='bounces')),
                ('complaints', models.PositiveIntegerField(default=0, verbose_name='complaints')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'daily statistic',
                'verbose_name_plural': 'daily statistics',
                'ordering': ['day'],
            },
        ),
        migrations.CreateModel(
            name='DigestStat',
            fields=[
                ('digest', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='stat', serialize=False, to='subscriptions.digest', verbose_name='digest')),
                ('sent', models.PositiveIntegerField(default=0, verbose_name='sent')),
                ('delivered', models.PositiveIntegerField(default=0, verbose_name='delivered')),
                ('opened', models.PositiveIntegerField(default=0, verbose_name='opened')),
                ('clicked', models.PositiveIntegerField(default=0, verbose_name='clicked')),
                ('bounced', models.PositiveIntegerField(default=0, verbose_name='bounced')),
                ('complained', models.PositiveIntegerField(default=0, verbose_name='complained')),
                ('unsubscribed', models.PositiveIntegerField(default=0, verbose_name='unsubscribed')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'digest statistic',
                'verbose_name_plural': 'digest statistics',
            },
        ),
        migrations.AlterModelOptions(
            name='digest',
            options={'ordering': ['-period_end', '-id'], 'permissions': [('send_digest', 'Can send digests')], 'verbose_name': 'digest', 'verbose_name_plural': 'digests'},
        ),
    ]
