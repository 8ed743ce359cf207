-- Amazon Connect Cases events (EventBridge, source aws.cases).

CREATE TYPE connect_lake.case_event AS (
  id                                            text,
  detail_case_caseid                            text,
  detail_approximatechangetime                  timestamptz,
  account                                       text,
  detail_event_type                             text,
  detail_case_createddatetime                   timestamptz,
  detail_case_templateid                        text,
  detail_case_fields_status                     text,
  detail_case_fields_title                      text,
  detail_case_fields_description                text,
  detail_case_fields_summary                    text,
  detail_case_fields_reference_number           text,
  detail_case_fields_customer_id                text,
  detail_case_fields_level_1                    text,
  detail_case_fields_level_2                    text,
  detail_case_fields_level_3                    text,
  detail_case_fields_case_reason                text,
  detail_case_fields_assigned_user              text,
  detail_case_fields_assigned_agent_name        text,
  detail_case_fields_assigned_queue             text,
  detail_case_fields_queue_name                 text,
  detail_case_fields_is_complaint               boolean,
  detail_case_fields_complaint_status           text,
  detail_case_fields_complaint_type             text,
  detail_case_fields_complaint_subject          text,
  detail_case_fields_complaint_subject_2        text,
  detail_case_fields_complaint_reason           text,
  detail_case_fields_complaint_goodwill_amount  numeric(12,2),
  detail_case_fields_complaint_resolved         boolean,
  detail_case_fields_ombudsman_case             boolean,
  detail_case_fields_original_creation_date     timestamptz,
  detail_case_fields_last_updated_datetime      timestamptz,
  detail_case_fields_last_closed_datetime       timestamptz,
  detail_case_fields_last_reopened_datetime     timestamptz,
  detail_case_fields_due_date                   timestamptz,
  detail_case_fields_is_overdue                 boolean,
  detail_case_fields_other                      jsonb,
  detail_changedfieldids                        jsonb,
  detail_performedby_userarn                    text,
  detail_performedby_iamprincipalarn            text,
  detail_version                                text,
  detail_type                                   text,
  source                                        text,
  aws_account                                   text,
  "time"                                        timestamptz,
  region                                        text,
  resources                                     jsonb,
  extra                                         jsonb,
  source_file                                   text,
  source_offset                                 bigint,
  meta_enriched_landed_date                     timestamptz
);
COMMENT ON TYPE connect_lake.case_event IS
  'One Cases CASE.* event as typed columns: the row type of case_events and the result of case_event_parse().';

CREATE TABLE connect_lake.case_events OF connect_lake.case_event (
  id                            WITH OPTIONS NOT NULL,
  detail_case_caseid            WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  meta_enriched_landed_date     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);


INSERT INTO connect_lake.fact_table VALUES
  ('case_events', '{detail_case_caseid,detail_approximatechangetime,id}', 'PRIMARY KEY', ARRAY['(id)', '(detail_case_createddatetime)', '(account) WHERE account IS NOT NULL']::text[]);

COMMENT ON TABLE connect_lake.case_events IS
  'Amazon Connect Cases events (CASE.CREATED, CASE.UPDATED, CASE.DELETED): every event kept, the case as it stood after the change. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_events.id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_caseid IS 'detail.case.caseId.';
COMMENT ON COLUMN connect_lake.case_events.detail_approximatechangetime IS 'detail.approximateChangeTime: orders the events of a case (partition key).';
COMMENT ON COLUMN connect_lake.case_events.account IS 'The customer''s account number, from the customer or account field of the case.';
COMMENT ON COLUMN connect_lake.case_events.detail_event_type IS 'detail.eventType: CASE.CREATED, CASE.UPDATED, CASE.DELETED.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_createddatetime IS 'detail.case.createdDateTime: when the case was created.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_templateid IS 'detail.case.templateId.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_status IS 'Case field status: open, closed or a custom status.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_title IS 'Case field title.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_description IS 'Case field description (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_summary IS 'Case field summary.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_reference_number IS 'Case field reference_number.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_customer_id IS 'Case field customer_id: a Customer Profiles ARN.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_1 IS 'Level 1 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_2 IS 'Level 2 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_3 IS 'Level 3 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_case_reason IS 'Case field case_reason.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_user IS 'Assigned user ARN (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_agent_name IS 'Assigned agent''s name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_queue IS 'Assigned queue (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_queue_name IS 'Queue name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_complaint IS 'Whether the case is a complaint (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_status IS 'Complaint status (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_type IS 'Complaint type (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject IS 'Complaint subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject_2 IS 'Complaint secondary subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_reason IS 'Complaint reason (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_goodwill_amount IS 'Goodwill paid on the complaint, in the account''s currency (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_resolved IS 'Whether the complaint is resolved (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_ombudsman_case IS 'Whether the complaint went to the ombudsman (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_original_creation_date IS 'Original creation date of a migrated case (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_updated_datetime IS 'Case field last_updated_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_closed_datetime IS 'Case field last_closed_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_reopened_datetime IS 'When the case was last reopened (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_due_date IS 'Due date: created + 2 working days (working_days_add on the default calendar).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_overdue IS 'Whether the case was open and past its due date when the row landed (live answer: case_current).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_other IS 'Case fields no column is mapped to, keyed by field id, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_changedfieldids IS 'detail.changedFieldIds array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_version IS 'detail.version.';
COMMENT ON COLUMN connect_lake.case_events.detail_type IS 'EventBridge detail-type: Amazon Connect Cases Change (older: Amazon Connect Cases Event).';
COMMENT ON COLUMN connect_lake.case_events.source IS 'EventBridge source (aws.cases).';
COMMENT ON COLUMN connect_lake.case_events.aws_account IS 'EventBridge account: the AWS account id.';
COMMENT ON COLUMN connect_lake.case_events."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_events.region IS 'EventBridge region.';
COMMENT ON COLUMN connect_lake.case_events.resources IS 'EventBridge resources array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_events.meta_enriched_landed_date IS 'When the row landed in the lake.';

CREATE TYPE connect_lake.case_related_item AS (
  id                                  text,
  detail_relateditem_caseid           text,
  detail_approximatechangetime        timestamptz,
  detail_event_type                   text,
  detail_relateditem_relateditemid    text,
  detail_relateditem_relateditemtype  text,
  detail_relateditem_createddatetime  timestamptz,
  comment_body                        text,
  contact_arn                         text,
  contactid                           uuid,
  detail_changedattributes            jsonb,
  detail_performedby_userarn          text,
  detail_performedby_iamprincipalarn  text,
  "time"                              timestamptz,
  extra                               jsonb,
  source_file                         text,
  source_offset                       bigint,
  landed_at                           timestamptz
);
COMMENT ON TYPE connect_lake.case_related_item IS
  'One Cases RELATED_ITEM.* event as typed columns: the row type of case_related_items and the result of case_related_item_parse().';

CREATE TABLE connect_lake.case_related_items OF connect_lake.case_related_item (
  id                            WITH OPTIONS NOT NULL,
  detail_relateditem_caseid     WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  landed_at                     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);

INSERT INTO connect_lake.fact_table VALUES
  ('case_related_items', '{detail_relateditem_caseid,detail_approximatechangetime,id}', 'PRIMARY KEY', '{}');

COMMENT ON TABLE connect_lake.case_related_items IS
  'Cases RELATED_ITEM.* events: comments and contacts linked to a case. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_related_items.id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_caseid IS 'detail.relatedItem.caseId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_approximatechangetime IS 'detail.approximateChangeTime (partition key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_event_type IS 'detail.eventType: RELATED_ITEM.CREATED, RELATED_ITEM.UPDATED, RELATED_ITEM.DELETED.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemid IS 'detail.relatedItem.relatedItemId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemtype IS 'detail.relatedItem.relatedItemType: Comment or Contact.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_createddatetime IS 'detail.relatedItem.createdDateTime.';
COMMENT ON COLUMN connect_lake.case_related_items.comment_body IS 'detail.relatedItem.comment.body.';
COMMENT ON COLUMN connect_lake.case_related_items.contact_arn IS 'detail.relatedItem.contact.contactArn.';
COMMENT ON COLUMN connect_lake.case_related_items.contactid IS 'Contact id taken from contact_arn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_changedattributes IS 'detail.changedAttributes array as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_related_items."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_related_items.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_related_items.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_related_items.landed_at IS 'When the row landed in the lake.';

-- Custom case fields are keyed by UUID in Connect: this map names them.
CREATE TABLE connect_lake.case_field_map (
  field_id     text PRIMARY KEY,
  column_name  name NOT NULL,
  field_name   text,
  field_type   text
);
COMMENT ON TABLE connect_lake.case_field_map IS
  'Maps Cases field ids (custom fields are UUIDs) onto detail_case_fields_* columns of case_events; unmapped fields land in detail_case_fields_other.';
COMMENT ON COLUMN connect_lake.case_field_map.field_id IS 'The Cases field id (system name such as status, or a UUID).';
COMMENT ON COLUMN connect_lake.case_field_map.column_name IS 'The case_events column the field fills.';
COMMENT ON COLUMN connect_lake.case_field_map.field_name IS 'The field''s display name (from ListFields).';
COMMENT ON COLUMN connect_lake.case_field_map.field_type IS 'The field''s type (from ListFields): Text, Number, Boolean, DateTime, SingleSelect, Url, User.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_field_map', '');
